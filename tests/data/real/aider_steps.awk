# Independent count of the steps an Aider chat history records (not tracehound's parser):
# each SEARCH/REPLACE block the model wrote (not the copies Aider quotes back when a block
# failed to match), each whole-file edit Aider applied in a reply that held no SEARCH block,
# each auto-commit, each "Add file/URL to the chat?" that names its file on the line before,
# and each command line of the block a "Run shell command(s)?" prompt asks about.
# usage: awk -f tests/data/real/aider_steps.awk FILE
/^#### / { if (!blocks) n += applied; blocks = 0; applied = 0 }
/^<<<<<<< SEARCH/ && prev !~ /SearchReplaceNoExactMatch/ { n++; blocks++ }
/^> Applied edit to / { applied++ }
/^> Commit [0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f]+ / { n++ }
/^> Add (file|URL) to the chat\?/ && prev ~ /^> [^ ]/ && prev !~ /\?/ { n++ }
/^> Run shell commands?\?/ { n += cmds; cmds = 0; next }
/^> / { cmds = ($0 ~ /^> [^ ]/ && $0 !~ /^> (Tokens:|Applied edit|Commit |Add |Create new file|Allow edits|Running |Repo-map|Git repo|Model|Weak model|Main model|Aider v|Added |https?:)/) ? 1 : 0 }
/^[^>#]/ && cmds && $0 ~ /[^ \t]/ && prev ~ /^> |^[^>#]/ { cmds++ }
/^[ \t]*$/ { cmds = 0 }
{ if ($0 ~ /[^ \t]/) prev = $0 }
END { if (!blocks) n += applied; print n + 0 }
