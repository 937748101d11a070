"""`make bench`: what users of the serverless chat pay for, each figure against its baseline
measured in the same run (see bench/__main__.py and bench/results.md)."""
