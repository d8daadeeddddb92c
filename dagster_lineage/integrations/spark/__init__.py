"""PySpark jobs: static column lineage from the job's Python, runtime lineage from Spark's plan."""
