"""Benchmarks: `python -m bench` (or `make bench`) prints the table and writes docs/performance.md.

- `bench.imports`: cold-start import cost of each Lambda entry point, against bare `import boto3`.
- `bench.requests`: the exact AWS requests each operation makes, counted under moto.
- `bench.latency`: in-process latency under moto, against a trivial moto GetItem (informative).
- `bench.morning`: the morning send of 1,000 and 10,000 registrants under moto: AWS requests per
  recipient over dispatch and sending, and the achieved send rate against an imposed SES limit.
"""
