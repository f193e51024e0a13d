"""A small income classifier on the UCI Adult sample, scored with mltestscore."""
