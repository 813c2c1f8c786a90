# Grouped bar chart of one results TSV (format: see build.sh), as a PNG:
#   gnuplot -c bars.gp IN.tsv OUT.png TITLE YLABEL SCALE SERIES WIDTH
# SCALE is "linear" or "log"; SERIES the number of value columns; WIDTH in pixels. Every bar carries its
# value, so the chart can be read without the table. Bars are drawn as boxes at computed
# positions (not gnuplot's histogram style) so that the value labels line up with them.
set terminal pngcairo size int(ARG7),480 font "sans,10" noenhanced
set output ARG2
set datafile separator "\t"
set datafile commentschars "#"
set datafile missing "?"
set key autotitle columnhead
set title ARG3 font "sans,12"
set ylabel ARG4
series = int(ARG6)
slot = 1.0 / (series + 1)          # one bar's share of a group; the spare one is the gap
bar_x(row, j) = row + (j - 1 - (series - 1) / 2.0) * slot
# A group label "a, b" is shown on two lines, so that long ones do not run into each other.
wrap(s) = strstrt(s, ", ") > 0 ? s[1:strstrt(s, ", ") - 1] . "\n" . s[strstrt(s, ", ") + 2:] : s
label(v) = v >= 100 ? sprintf("%.0f", v) : (v >= 10 ? sprintf("%.1f", v) : sprintf("%.2f", v))
set style fill solid 0.9 border rgb "#333333"
set bmargin 6
set key at screen 0.5, screen 0.03 center bottom horizontal noreverse samplen 2
set grid ytics lc rgb "#dddddd"
set border 3
set xtics nomirror scale 0
set ytics nomirror
stats ARG1 using 2 nooutput
set xrange [-0.6:STATS_records - 0.4]
set linetype 1 lc rgb "#2a9d8f"
set linetype 2 lc rgb "#e76f51"
set linetype 3 lc rgb "#457b9d"
set linetype 4 lc rgb "#e9c46a"
set linetype 5 lc rgb "#8d99ae"
set linetype 6 lc rgb "#6a4c93"
if (ARG5 eq "log") {
    set logscale y
    set format y "%g"
} else {
    set yrange [0:*]
    set offsets 0, 0, graph 0.08, 0
}
plot for [i=2:series+1] ARG1 using (bar_x($0, i - 1)):(column(i)):(slot * 0.92) with boxes lt (i - 1) title columnhead(i), \
     for [i=2:series+1] ARG1 using (bar_x($0, i - 1)):(column(i)):(label(column(i))) \
         with labels center offset 0,0.7 font "sans,8" notitle, \
     ARG1 using 0:(NaN):xtic(wrap(strcol(1))) notitle
