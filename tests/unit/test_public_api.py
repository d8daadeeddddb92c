"""The public face: about 40 names, grouped; old names resolve one release with a warning."""

from __future__ import annotations

import subprocess
import sys
import warnings

import pytest

import dagster_lineage as dl


def test_about_forty_names_each_resolving() -> None:
    assert 35 <= len(dl.__all__) <= 48
    assert len(set(dl.__all__)) == len(dl.__all__)
    for name in dl.__all__:
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # a public name never warns
            assert getattr(dl, name) is not None
    assert {"diff_states", "script_lineage", "read_state", "BreakingPolicy"} <= set(dl.__all__)
    # CLI helpers are not the public face
    assert not {"changes_from_flags", "load_changes_file", "render_report"} & set(dl.__all__)


def test_one_settings_naming_scheme_and_one_translator_shape() -> None:
    import dagster as dg

    from dagster_lineage.integrations.airflow.model import DagInfo

    settings = [n for n in dl.__all__ if n.endswith("Settings")]
    assert sorted(settings) == [
        "AirflowLineageSettings",
        "DbtLineageSettings",
        "SparkLineageSettings",
    ]
    key = dl.AirflowLineageTranslator().get_asset_key(DagInfo("report", "d.py"))
    assert isinstance(key, dg.AssetKey)


@pytest.mark.parametrize("name", sorted(dl._DEPRECATED))
def test_old_names_are_deprecated_aliases(name: str) -> None:
    assert name not in dl.__all__
    with pytest.warns(DeprecationWarning, match=f"dagster_lineage.{name} is deprecated"):
        value = getattr(dl, name)
    module, new = dl._DEPRECATED[name]
    assert value is getattr(__import__(module, fromlist=[new]), new)


def test_old_settings_name_warns_in_its_module() -> None:
    from dagster_lineage.integrations.airflow import translator

    with pytest.warns(DeprecationWarning, match="AirflowLineageSettings"):
        assert translator.AirflowTranslatorSettings is translator.AirflowLineageSettings


def test_unknown_name_is_an_attribute_error() -> None:
    with pytest.raises(AttributeError, match="no_such_name"):
        dl.no_such_name  # noqa: B018


def test_import_stays_light() -> None:
    code = (
        "import sys, dagster_lineage as dl; dl.analyze_impact; dl.diff_states; dl.read_state; "
        "assert not {'dagster', 'dbt', 'airflow', 'pyspark'} & set(sys.modules), "
        "sorted({'dagster', 'dbt'} & set(sys.modules))"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
