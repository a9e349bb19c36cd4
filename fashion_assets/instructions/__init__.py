"""Instruction data for the vision-language model: generator, styling rules, augmenter, training set."""
