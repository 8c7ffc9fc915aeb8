"""The paper's codebook on sentences written for this test (not from any gold file): mechanisms said
without their textbook keywords are found, and keywords used in another sense are not coded."""

from __future__ import annotations

from pathlib import Path

import pytest

from coding.annotate import Annotator
from coding.codebook import load_codebook
from coding.rules import compile_codebook

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def codes_of():
    codebook = load_codebook(ROOT / "codebook.yaml")
    parents = {c.id: c.parent for c in codebook.codes}
    annotator = Annotator(compile_codebook(codebook))

    def top(code: str) -> str:
        while parents.get(code) not in (None, "F", "M", "R", "T"):
            code = parents[code]
        return code

    def run(text: str) -> set[str]:
        return {top(r["code"]) for r in annotator.codes_for([text])[0]}
    return run


@pytest.mark.parametrize("text, code", [
    ("副县长自己开车去了老周家，没让乡里提前通知，在他家院子里坐到天黑。", "M2"),
    ("县长把住建、人社、财政几家的人叫到一起，一上午就把这笔账对清楚了。", "M3"),
    ("以前请不动的民政局，这回副市长一个电话，当天下午就派人来了。", "F3"),
    ("乡里说了不算，村民代表说得让县里来人跟他们谈。", "F1"),
    ("聊着聊着才知道，老周真正放不下的是儿子这几年一直没有正经工作。", "M5"),
    ("每户都明确了一名县领导、一名部门班子成员和一名村干部，名字和电话贴在村委会门口。", "M1"),
    ("县里每周把各乡镇的化解进度打在大屏幕上排座次，连续倒数的要到县里说明情况。", "F2"),
    ("县财政先从周转金里垫付了工资，医保局又开了绿色通道。", "M4"),
])
def test_mechanism_without_its_textbook_keyword(codes_of, text, code):
    assert code in codes_of(text)


@pytest.mark.parametrize("text, code", [
    ("县营商办对规上企业实行“一对一”包联服务，每月走访一次，帮助解决融资难题。", "F1"),
    ("县营商办对规上企业实行“一对一”包联服务，每月走访一次，帮助解决融资难题。", "M1"),
    ("县营商办对规上企业实行“一对一”包联服务，每月走访一次，帮助解决融资难题。", "M5"),
    ("下次联席会议拟于八月上旬召开。", "M3"),
    ("工资的事双方在劳动监察大队调解下协商了两轮，最后按九折付清。", "M3"),
    ("他家不符合零就业家庭的条件，人社局说没法办。", "M4"),
    ("病人大出血，当晚转到市里抢救。", "F1"),
    ("包案县领导对所包事项负总责，牵头部门的班子成员为具体责任人。", "F1"),
])
def test_keyword_in_another_sense_is_not_coded(codes_of, text, code):
    assert code not in codes_of(text)
