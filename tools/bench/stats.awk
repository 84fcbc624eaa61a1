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

# Paired ratios: list holds n ratios, one per pair of runs or blocks taken
# side by side (B over A of the same pair). Sets out["gm"] to their
# geometric mean and out["lo"], out["hi"] to its 90% bootstrap interval:
# the pairs, not each side on its own, resampled with replacement B times
# (default 2000), so that what moved both sides of a pair (the host's
# speed at that moment) cancels. srand() first for a fixed seed.
function paired(list, n, out, B,    a, l, i, b, s, r, nb) {
	if (!B)
		B = 2000
	split(list, a, " ")
	s = 0
	for (i = 1; i <= n; i++) {
		l[i] = log(a[i])
		s += l[i]
	}
	out["gm"] = n ? exp(s / n) : 0
	out["lo"] = out["hi"] = out["gm"]
	if (n < 2)
		return
	nb = 0
	for (b = 1; b <= B; b++) {
		s = 0
		for (i = 1; i <= n; i++)
			s += l[int(rand() * n) + 1]
		r[++nb] = exp(s / n)
	}
	sortn(r, nb)
	out["lo"] = r[int(nb * 0.05) + 1]
	out["hi"] = r[int(nb * 0.95)]
}

# Paired means: xs and ys hold n values taken in pairs (x[i] and y[i] side
# by side). Sets out["gm"] to mean(x) / mean(y) -- the ratio of the mean
# throughputs, where one run's dip weighs by what it lost rather than by
# its ratio (a ratio has no upper bound, a dip no lower one below 0) --
# and out["lo"], out["hi"] to its 90% bootstrap interval, the pairs
# resampled with replacement B times (default 2000). srand() first.
function pairedmean(xs, ys, n, out, B,    a, c, i, j, b, sx, sy, r, nb) {
	if (!B)
		B = 2000
	split(xs, a, " ")
	split(ys, c, " ")
	sx = sy = 0
	for (i = 1; i <= n; i++) {
		sx += a[i]
		sy += c[i]
	}
	out["gm"] = sy > 0 ? sx / sy : 0
	out["lo"] = out["hi"] = out["gm"]
	if (n < 2)
		return
	nb = 0
	for (b = 1; b <= B; b++) {
		sx = sy = 0
		for (i = 1; i <= n; i++) {
			j = int(rand() * n) + 1
			sx += a[j]
			sy += c[j]
		}
		r[++nb] = sy > 0 ? sx / sy : 0
	}
	sortn(r, nb)
	out["lo"] = r[int(nb * 0.05) + 1]
	out["hi"] = r[int(nb * 0.95)]
}
