# fish completion for job-run(1)

# Task or lease files as arguments; the flags below say what their values are.

function __job_run_devices
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

complete -c job-run -s h -l help -d 'Print the help text and exit'
complete -c job-run -l version -d 'Print the version and exit'
complete -c job-run -s q -l quiet -d 'Print nothing for humans on stderr, errors excepted'
complete -c job-run -l task-index -x -a 'env\t"SLURM_ARRAY_TASK_ID or JOB_COMPLETION_INDEX" 0 1 2 3' -d 'Run only task N (0-based) of the input'
complete -c job-run -l mode -x -a 'exact\t"Bit-reproducible" fast\t"Checked by tolerance"' -d 'Override the task\'s mode'
complete -c job-run -l device -x -a '(__job_run_devices)' -d 'Backend: auto, cpu, cuda or cuda:N (default auto)'
complete -c job-run -l store -x -a '(__fish_complete_directories)' -d 'Content store folder (default $XDG_DATA_HOME/gridutils/store)'
complete -c job-run -l publish -x -a 'http:// https:// file://' -d 'PUT each result and the store objects it names to this URL'
complete -c job-run -l threads -x -d 'CPU threads (default 0: every core)'
complete -c job-run -l force -d 'Recompute even when the store holds the task\'s result'
complete -c job-run -l resume -d 'Continue an interrupted training run from its last checkpoint'
complete -c job-run -l pass -d 'Pass messages that are not tasks or leases through untouched'
complete -c job-run -l key -r -F -d 'Ed25519 key file made by grid-key gen (default $GRID_KEY)'
complete -c job-run -l keep-going -d 'Report each bad input line and carry on; exit 65 at the end'
