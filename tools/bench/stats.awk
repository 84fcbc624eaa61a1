# SPDX-License-Identifier: GPL-2.0
#
# Statistics for the bench reports, put before their awk programs
# ("$(cat stats.awk; cat <<EOF ...)": no /dev/stdin in the test VM). A list
# is a string of space-separated numbers, n how many it holds.

# The median of a list.
function median(list, n,    a, i, j, t) {
	split(list, a, " ")
	for (i = 2; i <= n; i++)
		for (j = i; j > 1 && a[j - 1] + 0 > a[j] + 0; j--) {
			t = a[j]; a[j] = a[j - 1]; a[j - 1] = t
		}
	return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
}

# Sort the numbers a[1..n] in place.
function sortn(a, n,    i, j, t) {
	for (i = 2; i <= n; i++)
		for (j = i; j > 1 && a[j - 1] > a[j]; j--) {
			t = a[j]; a[j] = a[j - 1]; a[j - 1] = t
		}
}

# The median of n draws, with replacement, from a list (a bootstrap
# sample); srand() first for a fixed seed.
function resample(list, n,    a, i, s) {
	split(list, a, " ")
	s = ""
	for (i = 1; i <= n; i++)
		s = s " " a[int(rand() * n) + 1]
	return median(s, n)
}
