# fish completion for job-split(1)

# Job files as arguments; the flags below say what their values are.
complete -c job-split -s h -l help -d 'Print the help text and exit'
complete -c job-split -l version -d 'Print the version and exit'
complete -c job-split -s q -l quiet -d 'Print nothing for humans on stderr, errors excepted'
complete -c job-split -l weights -r -F -d 'Signed gpu-bench profiles: shard in proportion to their exact GEMM rate'
complete -c job-split -l shard-rows -x -a '256 1024 4096' -d 'Rows per task for infer and gemm jobs'
complete -c job-split -l tasks -x -d 'Number of tasks for infer and gemm jobs'
complete -c job-split -l pass -d 'Pass messages that are not jobs through untouched'
complete -c job-split -l key -r -F -d 'Ed25519 key file made by grid-key gen (default $GRID_KEY)'
complete -c job-split -l keep-going -d 'Report each bad input line and carry on; exit 65 at the end'
