# fish completion for proof-check(1)

# Result or challenge answer files as arguments; the flags below say what their values are.

function __proof_check_devices
    printf '%s\t%s\n' auto 'CUDA device 0 when a GPU answers, else the CPU' cpu 'The CPU' cuda 'CUDA device 0; exit 69 without a GPU'
    set -l gpus 0
    if command -q nvidia-smi
        set gpus (nvidia-smi -L 2>/dev/null | string match -r '^GPU ' | count)
    end
    test "$gpus" -gt 0; or set gpus 1
    for i in (seq 0 (math $gpus - 1))
        printf 'cuda:%s\tCUDA device %s\n' $i $i
    end
end

function __proof_check_modes
    set -l token (commandline -ct)
    set -l done_part (string replace -r '[^,]*$' '' -- $token)
    printf "$done_part%s\n" sig trace spot rows freivalds pinpoint quorum challenge
end

complete -c proof-check -s h -l help -d 'Print the help text and exit'
complete -c proof-check -l version -d 'Print the version and exit'
complete -c proof-check -s q -l quiet -d 'Print nothing for humans on stderr, errors excepted'
complete -c proof-check -l mode -x -a '(__proof_check_modes)' -d 'Modes to run (default sig,trace,spot)'
complete -c proof-check -l tasks -r -F -d 'Task messages the results answer'
complete -c proof-check -l leases -r -F -d 'Lease messages: the signer must be the lease\'s provider'
complete -c proof-check -l seals -r -F -d 'quorum: seals committed before results were revealed'
complete -c proof-check -l profile -r -F -d 'Signed gpu-bench profiles for challenge speed'
complete -c proof-check -l challenges -r -F -d 'The challenge requests answers must answer'
complete -c proof-check -l store -x -a '(__fish_complete_directories)' -d 'Content store with the provider\'s checkpoints'
complete -c proof-check -l store-url -x -a 'file:// http:// https://' -d 'The provider\'s store by URL'
complete -c proof-check -l samples -x -d 'Re-execute this many segments or rows'
complete -c proof-check -l detect -x -a '0.9 0.99 0.999' -d 'Catch a cheat with this probability (default 0.99)'
complete -c proof-check -l cheat-fraction -x -a '0.01 0.05 0.1 0.5' -d 'Fraction of faked work --detect is for (default 0.1)'
complete -c proof-check -l budget -x -a '0.01 0.1 0.5 1' -d 'Re-execute at most this fraction of each task\'s compute'
complete -c proof-check -l k -x -a '2 3 5' -d 'quorum: distinct providers that must agree (default 2)'
complete -c proof-check -l slow-factor -x -d 'challenge: least share of the profile\'s rate (default 0.5)'
complete -c proof-check -l device -x -a '(__proof_check_devices)' -d 'Backend for re-execution (default auto)'
complete -c proof-check -l threads -x -d 'CPU threads (default 0: every core)'
complete -c proof-check -l pass -d 'Pass messages that are not results or answers through untouched'
complete -c proof-check -l format -x -a 'json table' -d 'Output form of the verdicts: json or table'
complete -c proof-check -l key -r -F -d 'Ed25519 key file made by grid-key gen (default $GRID_KEY)'
complete -c proof-check -l keep-going -d 'Report each bad input line and carry on; exit 65 at the end'
