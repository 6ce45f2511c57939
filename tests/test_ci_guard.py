pytest_plugins = ["pytester"]

SKIPPING = "import pytest\n\ndef test_needs_a_browser():\n    pytest.skip('no browser')\n"


def test_a_skip_fails_in_ci(pytester, monkeypatch):
    monkeypatch.setenv("CI", "true")
    pytester.makepyfile(SKIPPING)
    result = pytester.runpytest("-p", "tests.ci_plugin", "-p", "no:django")
    result.assert_outcomes(failed=1)


def test_a_skip_stays_a_skip_outside_ci(pytester, monkeypatch):
    monkeypatch.delenv("CI", raising=False)
    pytester.makepyfile(SKIPPING)
    result = pytester.runpytest("-p", "tests.ci_plugin", "-p", "no:django")
    result.assert_outcomes(skipped=1)
