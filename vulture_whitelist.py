"""Names vulture reports as unused that are used: by Dagster, by the public API or by tests.

``make lint`` runs ``vulture dagster_lineage vulture_whitelist.py``; add a name here only with the
reason it is alive.
"""

# ruff: noqa: B018, F821
# Module protocol (PEP 562) and the CLI's exit-code contract.
__getattr__  # dagster_lineage/__init__.py: lazy Dagster-facing names
__dir__  # dagster_lineage/__init__.py
EXIT_OK  # dagster_lineage/cli/exit_codes.py: documented exit code
EXIT_FINDINGS  # dagster_lineage/cli/exit_codes.py: documented exit code

# Called by Dagster or dagster-dbt (framework hooks and attributes).
_.__signature__  # defs/dbt/assets.py: the signature Dagster inspects
_.get_code_version  # defs/dbt/translator.py: DagsterDbtTranslator hook
_.teardown_after_execution  # defs/spark/assets.py: ConfigurableResource hook

# Public API of frozen result types (documented, used by callers and tests).
_.is_selected  # core/graph.py
_.from_json  # core/model.py
_.lineage_cache_stats  # defs/dbt/translator.py
_.is_clause  # impact/report.py
_.references_to  # impact/report.py
changes_to_json  # impact/schema_changes.py
_.is_opaque  # integrations/airflow/model.py
sql_files  # integrations/airflow/model.py
_.dag_ids  # integrations/airflow/model.py
_.lookups  # integrations/dbt/cache.py
_.put  # integrations/dbt/cache.py
schema_lookup  # integrations/spark/static.py
_.as_kwargs  # sql/records.py
file_set_checksum  # state/checksums.py
_.changed_itself  # state/compare.py
_.postgres  # state/warehouse.py

# Dagster calls these (Component.build_defs) or users do (builders, public functions and fields).
_.build_defs  # defs/components/{airflow,spark}.py: dg Component hook
_._component  # defs/components/dbt.py: read by Dagster's component loading
build_deploy_diff_sensor  # defs/deploy_diff.py: public builder
schema_drift_between_last_two  # defs/schema_drift.py: public function
via_star  # core/graph.py: a NamedTuple field of the consumer index
_.head_name  # impact/diff.py
_.is_unknown  # integrations/dbt/checksum.py
method  # state/checksums.py: a field of a result type
compare  # state/compare.py: public function
STATE_JSON_SCHEMA  # state/lineage_state.py: the published JSON schema of state files

# http.server calls these (BaseHTTPRequestHandler / ThreadingHTTPServer attributes).
_.protocol_version  # explorer/server.py
_.do_HEAD  # explorer/server.py
_.do_POST  # explorer/server.py
_.daemon_threads  # explorer/server.py

# Enum protocol: the member value set in a custom __new__ (Enum reads it).
_._value_  # impact/report.py: Cause.__new__

# dagster-dbt's DbtProjectPreparer interface: dagster-dbt calls project.preparer.prepare(project).
_.prepare  # defs/dbt/project.py: DbtLineageProjectPreparer.prepare
