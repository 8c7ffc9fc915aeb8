"""AppTest: the codebook page shows the named vetoes a code's rules use (Chinese first, escaped)."""

from __future__ import annotations

from .test_app_codebook import files, open_page  # noqa: F401 - the fixture is used by name


def test_browse_lists_the_named_vetoes_of_a_codes_rules(monkeypatch, files):  # noqa: F811
    at = open_page(monkeypatch, files)
    at.selectbox(key="cb_code").set_value("M3").run()
    block = [m.value for m in at.markdown if "否决条件 Vetoes" in m.value]
    assert len(block) == 1
    text = block[0]
    # description first, then the escaped name and the rules using it
    assert "会议安排通知" in text and "meeting\\_scheduling" in text and "convened-meeting" in text
    assert text.index("会议安排通知") < text.index("meeting\\_scheduling")
    assert "interviewer\\_line" in text  # a default veto is listed too
    at.selectbox(key="cb_code").set_value("R1").run()  # no rules, no vetoes block
    assert not [m.value for m in at.markdown if "否决条件 Vetoes" in m.value]
