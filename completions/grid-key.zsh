#compdef grid-key
# zsh completion for grid-key(1)

_grid-key() {
  local curcontext=$curcontext state line ret=1
  typeset -A opt_args

  local -a common
  common=(
    '(- *)'{-h,--help}'[print the help text and exit]'
    '(-q --quiet)'{-q,--quiet}'[print nothing for humans on stderr, errors excepted]'
  )

  _arguments -C $common \
    '(- *)--version[print the version and exit]' \
    '1: :->subcommand' \
    '*:: :->args' && ret=0

  case $state in
    subcommand)
      local -a subcommands
      subcommands=(
        'gen:make a new key; print it, or write it to --out with mode 0600'
        'pub:print the public key, ed25519:<hex>'
        'sign:fill in id and sig of each message'
        'id:fill in the id of each message, without signing'
        'verify:check each message'\''s id and signature; exit 1 if any fails'
      )
      _describe -t subcommands 'grid-key subcommand' subcommands && ret=0
      ;;
    args)
      curcontext=${curcontext%:*:*}:grid-key-$words[1]:
      local key='--key=[Ed25519 key file made by grid-key gen (default $GRID_KEY)]:key file:_files'
      local keep='--keep-going[report each bad input line and carry on; exit 65 at the end]'
      local files='*:input file (JSON Lines):_files'
      case $words[1] in
        gen)
          _arguments $common \
            '--out=[key file to write (mode 0600, atomically)]:key file:_files' \
            '--force[replace an existing key file]' && ret=0
          ;;
        pub)
          _arguments $common $key && ret=0
          ;;
        sign)
          _arguments $common $key $keep $files && ret=0
          ;;
        id)
          _arguments $common $keep $files && ret=0
          ;;
        verify)
          _arguments $common \
            '*--by=[accept only signatures by this public key; repeatable]:public key (ed25519\:<hex>):' \
            '--format=[output form]:format:(json table)' \
            $keep $files && ret=0
          ;;
      esac
      ;;
  esac
  return ret
}

_grid-key "$@"
