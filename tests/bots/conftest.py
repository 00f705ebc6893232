"""Every adapter test runs under the log guard: no secret and no personal data in any log line."""

import pytest


@pytest.fixture(autouse=True)
def _no_secret_or_personal_data_in_logs(log_guard):
    return log_guard
