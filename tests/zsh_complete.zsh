# zsh -f tests/zsh_complete.zsh DIR LINE: the words zsh's completion system
# offers for the command line LINE, one a line, sorted, with the _TOOL
# completion files in DIR on fpath. Drives an interactive zsh on a pty
# (zsh/zpty): types LINE and a Tab, and records every word compadd would
# add. Exits 1 when the completion does not finish within 10 s.
zmodload zsh/zpty || exit 2
out=$(mktemp) || exit 2

# wait_for WORD: until $out holds a line WORD; 10 s at most.
wait_for() {
  local i
  for i in {1..100}; do
    grep -qx -- $1 $out && return 0
    sleep 0.1
  done
  return 1
}

zpty z zsh -f -i
zpty -w z "PS1= RPROMPT= LISTMAX=100000; fpath=(${(q)1} \$fpath); autoload -U compinit; compinit -u -D"
# compadd -O leaves the words in an array instead of adding them; calls
# that already collect words (-O, -A, -D) are internal and go through.
zpty -w z "compadd() { (( \${@[(I)-[OAD]]} )) && { builtin compadd \"\$@\"; return }; local -a w; builtin compadd -O w \"\$@\"; print -rl -- \$w >>${(q)out}; builtin compadd \"\$@\" }"
zpty -w z "comp_done() { print -r -- '<<done>>' >>${(q)out} }; comppostfuncs=(comp_done); print -r -- '<<ready>>' >>${(q)out}"
wait_for '<<ready>>' || { rm -f $out; exit 2; }
zpty -w -n z "$2"$'\t'
wait_for '<<done>>'
status_=$?
zpty -d z
grep -vx -e '<<done>>' -e '<<ready>>' -e '' $out | sort -u
rm -f $out
exit $status_
