# SPDX-License-Identifier: MIT
# bash completion for collect(8): verbs, options and their values.

_collect_units()
{
        systemctl list-units --all --plain --no-legend --no-pager 2>/dev/null | \
                while read -r unit _; do printf '%s\n' "$unit"; done
}

_collect()
{
        local cur prev verb i
        cur=${COMP_WORDS[COMP_CWORD]}
        prev=${COMP_WORDS[COMP_CWORD-1]}
        local opts="--output --since --until --root --journal-dir --config --policy-dir
                --state-dir --spool-dir --environment --product --summary --description
                --steps --impact --type --workaround --severity --allow-incomplete --mask
                --share --dry-run --yes --json --open-ticket --ticket --quiet --verbose
                --help --version"
        local verbs="snapshot check spool portal policy hook watch poll"

        case $prev in
        -o|--output|--root|--journal-dir|--policy-dir|--state-dir|--spool-dir)
                COMPREPLY=($(compgen -d -- "$cur")); return;;
        --config)
                COMPREPLY=($(compgen -f -- "$cur")); return;;
        --type)
                COMPREPLY=($(compgen -W "incident question" -- "$cur")); return;;
        --workaround)
                COMPREPLY=($(compgen -W "yes no" -- "$cur")); return;;
        --severity)
                COMPREPLY=($(compgen -W "P1 P2 P3 P4" -- "$cur")); return;;
        --since|--until)
                COMPREPLY=($(compgen -W "90m 24h 7d" -- "$cur")); return;;
        --listen)
                COMPREPLY=($(compgen -W "127.0.0.1:9099" -- "$cur")); return;;
        --environment|--product|--summary|--description|--steps|--impact|--share|--ticket)
                return;;
        esac

        verb=
        for ((i = 1; i < COMP_CWORD; i++)); do
                case ${COMP_WORDS[i]} in
                -*) ;;
                *) verb=${COMP_WORDS[i]}; break;;
                esac
        done

        case $verb in
        spool)
                [[ $prev == spool ]] && { COMPREPLY=($(compgen -W "list flush drop" -- "$cur")); return; };;
        portal)
                [[ $prev == portal ]] && { COMPREPLY=($(compgen -W "test desks types fields" -- "$cur")); return; };;
        policy)
                [[ $prev == policy ]] && { COMPREPLY=($(compgen -W "check" -- "$cur")); return; }
                COMPREPLY=($(compgen -f -- "$cur")); return;;
        check)
                COMPREPLY=($(compgen -f -X '!*.tar.gz' -- "$cur") $(compgen -d -- "$cur")); return;;
        hook)
                if [[ $prev == hook ]]; then
                        COMPREPLY=($(compgen -W "coredump unit-failure alertmanager" -- "$cur"))
                        return
                fi
                if [[ $prev == unit-failure ]]; then
                        COMPREPLY=($(compgen -W "$(_collect_units)" -- "$cur"))
                        return
                fi;;
        watch)
                opts="$opts --listen";;
        esac

        if [[ $cur == -* || -n $verb ]]; then
                COMPREPLY=($(compgen -W "$opts" -- "$cur"))
        else
                COMPREPLY=($(compgen -W "$verbs $opts" -- "$cur"))
        fi
}

complete -F _collect collect
