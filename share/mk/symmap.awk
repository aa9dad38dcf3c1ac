#!/usr/bin/awk -f
# SPDX-License-Identifier: BSD-2-Clause
#
# share/mk/symmap.awk: print the symbol names listed in FreeBSD-style
# Symbol.map files, one a line, in the order found (duplicates included;
# the caller sorts).  Understands /* */ and # comments, version nodes
# "NAME { ... } [PARENT];", and global:/local: labels.  Only the names
# inside braces are symbols; a wildcard such as "*" is not printed.

{
	line = $0
	# Remove comments, which may span lines.
	out = ""
	while (line != "") {
		if (incomment) {
			i = index(line, "*/")
			if (i == 0) {
				line = ""
				break
			}
			line = substr(line, i + 2)
			incomment = 0
			continue
		}
		i = index(line, "/*")
		if (i == 0) {
			out = out line
			break
		}
		out = out substr(line, 1, i - 1) " "
		line = substr(line, i + 2)
		incomment = 1
	}
	sub(/#.*/, "", out)
	gsub(/[{};]/, " & ", out)
	n = split(out, tok, /[ \t]+/)
	for (k = 1; k <= n; k++) {
		t = tok[k]
		if (t == "{")
			depth++
		else if (t == "}")
			depth--
		else if (depth > 0 && t ~ /^[A-Za-z_][A-Za-z0-9_.$]*$/)
			print t
	}
}

END {
	if (incomment || depth != 0) {
		print FILENAME ": unbalanced comment or braces" > "/dev/stderr"
		exit 1
	}
}
