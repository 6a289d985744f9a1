# fish completion for grid-key(1)

set -l subcommands gen pub sign id verify

# No file names unless a flag or subcommand below asks for them.
complete -c grid-key -f

# Subcommands
complete -c grid-key -n "not __fish_seen_subcommand_from $subcommands" -a gen -d 'Make a new key; print it, or write it to --out with mode 0600'
complete -c grid-key -n "not __fish_seen_subcommand_from $subcommands" -a pub -d 'Print the public key, ed25519:<hex>'
complete -c grid-key -n "not __fish_seen_subcommand_from $subcommands" -a sign -d 'Fill in id and sig of each message'
complete -c grid-key -n "not __fish_seen_subcommand_from $subcommands" -a id -d 'Fill in the id of each message, without signing'
complete -c grid-key -n "not __fish_seen_subcommand_from $subcommands" -a verify -d "Check each message's id and signature; exit 1 if any fails"

# Flags everywhere
complete -c grid-key -s h -l help -d 'Print the help text and exit'
complete -c grid-key -s q -l quiet -d 'Print nothing for humans on stderr, errors excepted'
complete -c grid-key -n "not __fish_seen_subcommand_from $subcommands" -l version -d 'Print the version and exit'

# gen
complete -c grid-key -n '__fish_seen_subcommand_from gen' -l out -r -F -d 'Key file to write (mode 0600, atomically)'
complete -c grid-key -n '__fish_seen_subcommand_from gen' -l force -d 'Replace an existing key file'

# pub, sign
complete -c grid-key -n '__fish_seen_subcommand_from pub sign' -l key -r -F -d 'Ed25519 key file made by grid-key gen (default $GRID_KEY)'

# sign, id, verify: input files
complete -c grid-key -n '__fish_seen_subcommand_from sign id verify' -l keep-going -d 'Report each bad input line and carry on; exit 65 at the end'
complete -c grid-key -n '__fish_seen_subcommand_from sign id verify' -F

# verify
complete -c grid-key -n '__fish_seen_subcommand_from verify' -l by -x -a '(grid-key pub 2>/dev/null)' -d 'Accept only signatures by this public key (ed25519:<hex>); repeatable'
complete -c grid-key -n '__fish_seen_subcommand_from verify' -l format -x -a 'json table' -d 'Output form: json or table'
