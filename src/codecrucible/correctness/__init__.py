"""Whether a program is right: calibration of each task's tests on its reference, oracles,
answer scoring, DS-1000's checker, and the referee, the one path from a program to its verdicts."""
