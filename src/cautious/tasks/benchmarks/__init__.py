"""The benchmarks Orca 2 evaluates on, as tasks of group "benchmark".

One module per family; the task registry (`cautious.tasks.base`) names each of them
(`cautious tasks list`). Each loads its public dataset from the Hugging Face Hub when online,
or local files of the same format offline (`$CAUTIOUS_DATA_DIR/<task>/` or `Task(path=...)`);
see `source` and docs/benchmarks.md. Nothing heavy is imported here: `datasets` and pyarrow
load on first use.
"""

from cautious.tasks.benchmarks.source import DATA_DIR_ENV, BenchmarkTask

__all__ = ["DATA_DIR_ENV", "BenchmarkTask"]
