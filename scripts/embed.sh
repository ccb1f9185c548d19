#!/bin/sh
# embed.sh NAME FILE...: prints C defining NAME as the files' bytes, one
# after the other, NUL-terminated. The report's page is built into the
# binary this way, so `taskprof report` needs no data files at run time.
set -e
name=$1
shift
printf 'const char %s[] = {\n' "$name"
cat "$@" | od -An -v -tx1 | sed 's/ *\([0-9a-f][0-9a-f]\)/0x\1,/g'
printf '0 };\n'
