"""A small income model on the UCI Adult sample: the project mltestscore scores."""
