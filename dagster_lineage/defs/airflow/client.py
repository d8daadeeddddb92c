"""A minimal Airflow 3 REST API client (``/api/v2``) with token auth and timeouts.

``requests`` is imported when a request is made, so a code location loads without it.

Examples:
    >>> from dagster_lineage.defs.airflow.client import AirflowApiClient
    >>> AirflowApiClient("http://localhost:8080/", token="t", username=None, password=None,
    ...                  timeout=5.0).url
    'http://localhost:8080'
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from dagster_lineage.errors import IntegrationError, redact


class AirflowApiClient:
    """A minimal Airflow 3 REST API client (``/api/v2``) with token auth and timeouts."""

    def __init__(
        self,
        url: str,
        *,
        token: str | None,
        username: str | None,
        password: str | None,
        timeout: float,
    ) -> None:
        self.url = url.rstrip("/")
        self.shown = redact(self.url)  # for messages: no user info
        self.token = token
        self.username = username
        self.password = password
        self.timeout = timeout

    def _fetch_token(self) -> str:
        import requests

        resp = requests.post(
            f"{self.url}/auth/token",
            json={"username": self.username, "password": self.password},
            timeout=self.timeout,
        )
        if resp.status_code >= 400:
            raise IntegrationError(
                f"Airflow API {self.shown}",
                f"token request refused (HTTP {resp.status_code})",
                fix="Check the username and password (or pass token=...).",
            )
        token = resp.json().get("access_token")
        if not isinstance(token, str):
            raise IntegrationError(
                f"Airflow API {self.shown}", "token response has no access_token"
            )
        return token

    def get(self, path: str, params: Mapping[str, Any]) -> dict[str, Any]:
        """GET ``path`` as JSON; a 404 reads as ``{"dag_runs": [], "missing": True}``.

        Raises:
            IntegrationError: on an HTTP error or when authentication fails twice.
        """
        import requests

        if self.token is None and self.username is not None:
            self.token = self._fetch_token()
        for attempt in range(2):
            headers = {"Accept": "application/json"}
            if self.token:
                headers["Authorization"] = f"Bearer {self.token}"
            resp = requests.get(
                f"{self.url}{path}", params=dict(params), headers=headers, timeout=self.timeout
            )
            if resp.status_code == 401 and attempt == 0 and self.username is not None:
                self.token = self._fetch_token()
                continue
            if resp.status_code == 404:
                return {"dag_runs": [], "missing": True}
            if resp.status_code >= 400:
                raise IntegrationError(
                    f"Airflow API {self.shown}{path}",
                    f"HTTP {resp.status_code}: {resp.text[:200]}",
                    fix="Check the API URL (Airflow 3, /api/v2) and the token's permissions.",
                )
            data = resp.json()
            return data if isinstance(data, dict) else {}
        raise IntegrationError(f"Airflow API {self.shown}", "authentication failed twice")
