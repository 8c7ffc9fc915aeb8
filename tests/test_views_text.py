"""Untrusted text shown through Markdown-rendering widgets (st.error, st.caption, st.markdown) stays literal."""

from __future__ import annotations

from views._shared import esc, md


def test_md_neutralises_markdown_latex_and_html():
    shown = md("**粗体** [链接](javascript:alert(1)) `代码` $x^2$ ~~删~~ <img src=x onerror=alert(1)> a|b")
    assert "\\*\\*粗体\\*\\*" in shown and "\\[链接\\]" in shown and "\\`代码\\`" in shown
    assert "\\$x^2\\$" in shown and "\\~\\~删\\~\\~" in shown and "a\\|b" in shown
    assert "<img" not in shown and "&lt;img" in shown


def test_md_escapes_line_start_syntax_only_at_line_starts():
    assert md("# 标题\n- 列表\n1. 一\n正文 #3 - 2.5") == "\\# 标题\n\\- 列表\n1\\. 一\n正文 #3 - 2.5"


def test_esc_is_for_html_only():
    assert esc('<a href="x">**b**</a>') == "&lt;a href=&quot;x&quot;&gt;**b**&lt;/a&gt;"
