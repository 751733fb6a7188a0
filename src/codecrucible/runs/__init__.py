"""The engines: from a model (generate and judge), from a samples file, and one program."""
