"""The model that learns codes from coders' decisions: learning, persistence, CV, errors."""

from __future__ import annotations

import json
import re
import gzip
import io
import subprocess
import sys
import tarfile
import time
from pathlib import Path

import pytest

from coding.errors import BaolianError
from coding.model import CodeScores, Example, Model, cross_validate, load_model, train

ROOT = Path(__file__).resolve().parent.parent
LABELS = ["M2", "M3", "M5"]
USER_WORDS = ["包联领导", "工作专班", "一人一策", "因人施策", "联席会议", "信息台账",
              "零就业家庭", "公益性岗位", "社保补贴", "带案下访", "公开接访"]

M2 = [
    "区长亲自上门到WXG家里，坐在炕头上听他把事情从头说了一遍。",
    "包联领导每个月至少下去一次，和信访人面对面谈。",
    "那天LHY副区长带着我们直接去了村里，没有让街道先汇报。",
    "领导到了现场才知道他家的房子漏雨，这些情况材料里从来没写过。",
    "我们不再等下面层层报上来，分管领导直接到一线了解情况。",
    "副区长第一次上门的时候，老人拉着他的手哭了。",
    "带案下访就是把接访桌子搬到老百姓家门口。",
    "每次走访回来都把情况记进信息台账，谁去的、说了什么都有记录。",
    "以前一件事请示批复要等一个礼拜，现在领导在现场当场就拍板了。",
    "区里领导坐下来听他讲了三个多小时，一句话也没打断。",
    "联系人每周到他家走一趟，有什么变化第一时间报给包联领导。",
    "公开接访那天，信访人当面把材料交到了副区长手里。",
    "领导直接见当事人，听到的是第一手的情况，不是转了几道手的汇报。",
    "她说这么多年第一次有区里的领导到家里来看她。",
    "我们跟着领导去了三趟，每趟都是在他家院子里聊。",
    "下访的时候发现他老伴瘫在床上，这个情况之前谁也不知道。",
    "不靠街道层层上报，领导自己跑到基层去摸底。",
    "干部和群众的距离一下子拉近了，他愿意跟我们说实话了。",
]
M3 = [
    "区里牵头成立了工作专班，信访局、人社局、民政局都抽人参加。",
    "专班每周开一次碰头会，几个部门坐在一起商量办法。",
    "LHY主持召开联席会议，把相关单位的负责同志都叫来了。",
    "会上人社局和民政局当场会商，把政策能不能用说清楚了。",
    "以前是一级一级打报告请示，现在几个层级的人在一个会上就议定了。",
    "工作专班是临时的，事情办完了专班也就撤了。",
    "街道、局里、区里三级的人一起研究这三个人的情况。",
    "专班会议纪要里写明了每个部门要办的事和时限。",
    "各部门在会上把各自的顾虑都摆到桌面上，商量出一个大家都能接受的方案。",
    "区信访局、人社局、民政局、残联派人组成专班，集中办公。",
    "遇到拿不准的问题，专班内部先商议，再报领导定。",
    "第一次专班会开了一下午，大家你一言我一语，最后形成了三条意见。",
    "区里召集相关部门开协调会，共同研究化解方案。",
    "专班办公室设在局里，每天下班前碰一下进度。",
    "这种会商机制把横向的部门和纵向的层级都拉到一张桌子上。",
    "几个部门的分管领导在联席会上逐条讨论了他的诉求。",
    "专班成员来自不同单位，但在专班里大家只对这件事负责。",
    "会议决定由专班统一对接信访人，不再各部门各说各的。",
]
M5 = [
    "我们给三个人每人制定了一套方案，一人一策。",
    "谈了很多次才弄明白，他真正着急的是家里没有收入。",
    "WXG按零就业家庭的标准安排了公益性岗位，还给了社保补贴。",
    "ZSQ的情况不一样，我们通过残联和慈善总会解决了她的医疗救助。",
    "因人施策，不能拿一个办法去套所有人。",
    "他嘴上说的是志愿兵身份，心里想的其实是看病的钱。",
    "案子办结以后，联系人还是隔一段时间就去他家看看，巩固成果。",
    "针对GJQ儿子没工作的问题，专门帮他儿子找了个岗位。",
    "每个人的难处都不一样，帮扶的办法也得一个一个地定。",
    "反复谈心以后，老人才说出他最担心的是老伴的药费。",
    "领导连他家孙子上学的小事都过问了，他很受感动。",
    "我们给他算了一笔账，按政策能拿到多少补助，一项一项落实。",
    "对她这样的困难家庭，就要量身定做救助方案。",
    "后来我们发现诉求背后是生活困难，就从解决困难入手。",
    "三个人三套办法，有的安排就业，有的解决医疗，有的落实低保。",
    "结案之后半年里，街道每个月回访一次，他再也没去上访。",
    "只有把他的真实想法摸清楚了，才能对症下药。",
    "给他办了临时救助，又帮他申请了大病保险的二次报销。",
]
NONE = [
    "这是我们区北山上的茶，今年夏天雨水多，味道比往年淡一点。",
    "南边那个立交还没修完吧，早上堵不堵？",
    "我是2017年年底到区政府这边的，之前在镇里干了六年党委书记。",
    "访谈时间：2020年10月15日。",
    "暖气是这个礼拜一来的，总算不用穿着棉袄办公了。",
    "我当兵那会儿在北边山里，冬天零下二十多度。",
    "你们喝水还是喝茶？我这儿只有菊花茶。",
    "他1979年当兵，是工程兵，在福建打坑道。",
    "录音只用于研究，人名地名都会处理。",
    "今年上半年是疫情，八月份又是防汛，河道那边到现在还在收尾。",
    "我儿子现在上初三了，学校搞分层走班。",
    "这楼是原来粮食局的，八十年代的老楼。",
]

EXAMPLES = (
    [Example(t, frozenset({"M2"})) for t in M2]
    + [Example(t, frozenset({"M3"})) for t in M3]
    + [Example(t, frozenset({"M5"})) for t in M5]
    + [Example(t, frozenset()) for t in NONE]
)
# Written apart from the training sentences: same meaning, mostly other words.
PARAPHRASES = {
    "副区长专门跑到他家里，面对面听他讲了一下午。": "M2",
    "几个部门一起开会研究，商量怎么帮他。": "M3",
    "根据每户的具体困难，分别制定帮扶办法。": "M5",
}
PROBE = list(PARAPHRASES) + ["我们区的茶今年味道淡一点。", "工作专班", "", " \n"]


@pytest.fixture(scope="module")
def model() -> Model:
    return train(EXAMPLES, LABELS, user_words=USER_WORDS)


def macro_f1(gold: list[frozenset[str]], pred: list[set[str]]) -> float:
    f1s = []
    for label in LABELS:
        tp = sum(label in g and label in p for g, p in zip(gold, pred))
        fp = sum(label not in g and label in p for g, p in zip(gold, pred))
        fn = sum(label in g and label not in p for g, p in zip(gold, pred))
        f1s.append(2 * tp / (2 * tp + fp + fn) if tp else 0.0)
    return sum(f1s) / len(f1s)


def test_learns_training_set_and_paraphrases(model):
    assert model.labels == tuple(LABELS)
    pred = model.predict_codes([e.text for e in EXAMPLES])
    assert macro_f1([e.codes for e in EXAMPLES], pred) >= 0.95
    for text, probs in zip(PARAPHRASES, model.predict(list(PARAPHRASES))):
        assert set(probs) == set(LABELS)
        assert all(0.0 <= p <= 1.0 for p in probs.values())
        assert max(probs, key=probs.get) == PARAPHRASES[text], (text, probs)


def test_no_code_sentences_get_low_scores(model):
    for probs in model.predict(["我们区的茶今年味道淡一点。", "他当兵的时候在山里，冬天很冷。"]):
        assert max(probs.values()) < 0.5, probs
    # Blank texts carry no evidence; an empty one inside a batch does not crash spaCy.
    assert model.predict(["工作专班", "", " \n"])[1:] == [dict.fromkeys(LABELS, 0.0)] * 2


def test_blank_examples_are_dropped():
    m = train(EXAMPLES + [Example("", frozenset()), Example(" ", frozenset({"M2"}))], LABELS,
              epochs=2)
    assert m.meta["training_size"] == len(EXAMPLES)
    assert m.meta["empty_examples_dropped"] == 2
    with pytest.raises(BaolianError, match="blank text"):
        train([Example("  ", frozenset({"M2"}))], LABELS)


def test_meta_and_version(model):
    assert re.fullmatch(r"model:\d{8}T\d{6}Z:[0-9a-f]{12}", model.version)
    meta = model.meta
    assert meta["training_size"] == len(EXAMPLES)
    # class weighting sqrt(neg/pos) moves each threshold to w / (1 + w) (0.5 without weighting)
    for lb in LABELS:
        pos = meta["label_counts"][lb]["positive"]
        w = ((len(EXAMPLES) - pos) / pos) ** 0.5
        assert meta["thresholds"][lb] == pytest.approx(w / (1 + w), abs=1e-4)
    plain = train(EXAMPLES, LABELS, class_weight="none", epochs=1)
    assert plain.meta["thresholds"] == {"M2": 0.5, "M3": 0.5, "M5": 0.5}
    assert meta["label_counts"]["M3"] == {"positive": len(M3), "rejected": 0}
    assert meta["skipped_labels"] == []
    # The tokenizer keeps the user words whole.
    assert [t.text for t in model.nlp.make_doc("包联领导牵头成立工作专班")][0] == "包联领导"
    again = train(EXAMPLES, LABELS, user_words=USER_WORDS)
    assert again.version.rsplit(":", 1)[1] == model.version.rsplit(":", 1)[1]
    other = train(EXAMPLES[:-1], LABELS, user_words=USER_WORDS)
    assert other.version.rsplit(":", 1)[1] != model.version.rsplit(":", 1)[1]


def test_words_and_characters_features(model):
    from coding.model import make_doc

    assert model.meta["settings"]["features"] == "words+chargrams"
    words = [t.text for t in make_doc(model.nlp, "包联领导上门", "words")]
    both = [t.text for t in make_doc(model.nlp, "包联领导 上门", "words+chars")]
    bag = [t.text for t in make_doc(model.nlp, "上门 走访", "words+chargrams")]
    assert words == ["包联领导", "上门"]
    assert both == ["包联领导", "上门", "|", "包", "联", "领", "导", "上", "门"]
    assert bag == ["上门", "走访", "|", "上", "门", "走", "访", "上门", "门走", "走访", "上门走", "门走访"]
    # A model saved before the setting existed is read with words only, as it was trained.
    old = Model(model.nlp, {**model.meta, "settings": {k: v for k, v in model.meta["settings"].items()
                                                        if k != "features"}})
    assert old.predict(PROBE) != model.predict(PROBE)


def test_class_weighting_raises_scores_of_rare_codes():
    rare = EXAMPLES[:3] + [e for e in EXAMPLES if not e.codes]  # three M2 sentences among no-code ones
    plain = train(rare, ["M2"], class_weight="none", epochs=5)
    weighted = train(rare, ["M2"], class_weight="balanced", epochs=5)
    assert weighted.meta["settings"]["class_weight"] == "balanced"
    texts = [e.text for e in EXAMPLES[3:6]]  # other M2 sentences, unseen
    p = [x["M2"] for x in plain.predict(texts)]
    w = [x["M2"] for x in weighted.predict(texts)]
    assert sum(w) > sum(p), (p, w)
    assert "get_loss" not in vars(weighted.nlp.get_pipe("textcat_multilabel"))  # training-only loss


def test_deterministic_with_seed(model):
    same = train(EXAMPLES, LABELS, user_words=USER_WORDS)
    assert same.predict(PROBE) == model.predict(PROBE)
    other = train(EXAMPLES, LABELS, user_words=USER_WORDS, seed=1)
    assert other.predict(PROBE) != model.predict(PROBE)


def test_save_load_in_fresh_process_identical(model, tmp_path):
    folder = tmp_path / "model"
    model.save(folder)
    assert (folder / "meta.json").is_file() and (folder / "nlp").is_dir()
    meta = json.loads((folder / "meta.json").read_text(encoding="utf-8"))
    assert meta["version"] == model.version and meta["labels"] == LABELS
    code = (
        "import json, sys\n"
        "from coding.model import load_model\n"
        "m = load_model(sys.argv[1])\n"
        "print(json.dumps({'version': m.version, 'pred': m.predict(json.loads(sys.argv[2]))}))\n"
    )
    out = subprocess.run([sys.executable, "-c", code, str(folder), json.dumps(PROBE)],
                         cwd=ROOT, capture_output=True, text=True, check=True)
    got = json.loads(out.stdout)
    assert got["version"] == model.version
    assert got["pred"] == model.predict(PROBE)
    # Saving again over a saved model replaces it.
    model.save(folder)
    assert load_model(folder).predict(PROBE) == model.predict(PROBE)


def test_to_bytes_round_trip(model):
    data = model.to_bytes()
    time.sleep(1.1)  # no time stamps inside: the same model gives the same bytes
    assert isinstance(data, bytes) and data == model.to_bytes()
    back = Model.from_bytes(data)
    assert back.version == model.version
    assert back.labels == model.labels
    assert back.predict(PROBE) == model.predict(PROBE)
    # A valid archive that holds no model.
    buf = io.BytesIO()
    with gzip.GzipFile(fileobj=buf, mode="wb") as gz, tarfile.open(fileobj=gz, mode="w") as tar:
        info = tarfile.TarInfo("notes.txt")
        info.size = 2
        tar.addfile(info, io.BytesIO(b"hi"))
    with pytest.raises(BaolianError, match="not a saved model"):
        Model.from_bytes(buf.getvalue())


@pytest.mark.slow
def test_cross_validate_scores():
    scores = cross_validate(EXAMPLES, LABELS, folds=3, user_words=USER_WORDS)
    assert set(scores) == {*LABELS, "macro"}
    for name, s in scores.items():
        assert isinstance(s, CodeScores)
        assert all(0.0 <= v <= 1.0 for v in (s.precision, s.recall, s.f1)), (name, s)
    assert scores["M2"].support == len(M2)
    assert scores["macro"].support == len(M2) + len(M3) + len(M5)
    assert scores["macro"].f1 == pytest.approx(sum(scores[c].f1 for c in LABELS) / 3)
    # Better than chance, even on this tiny set.
    assert scores["macro"].f1 > 0.3
    assert cross_validate(EXAMPLES, LABELS, folds=3, user_words=USER_WORDS) == scores


@pytest.mark.slow
def test_cross_validate_with_groups_and_tuned_thresholds():
    groups = [f"doc{i % 4}" for i in range(len(EXAMPLES))]
    scores = cross_validate(EXAMPLES, LABELS, folds=2, groups=groups, epochs=5,
                            tune_thresholds=True)
    assert set(scores) == {*LABELS, "macro"}
    with pytest.raises(BaolianError, match="groups"):
        cross_validate(EXAMPLES, LABELS, folds=2, groups=groups[:3])
    with pytest.raises(BaolianError, match="only 4 groups"):
        cross_validate(EXAMPLES, LABELS, folds=5, groups=groups)


@pytest.mark.slow
def test_tuned_thresholds_and_cv_scores_are_saved(tmp_path):
    m = train(EXAMPLES, LABELS, user_words=USER_WORDS, tune_folds=3, epochs=10)
    assert m.meta["tuned_on_folds"] == 3
    assert set(m.thresholds) == set(LABELS)
    assert all(0.05 <= t <= 0.9 for t in m.thresholds.values())
    m.set_cv_scores({"M2": CodeScores(0.5, 0.25, 1 / 3, 18)})
    m.save(tmp_path / "m")
    back = load_model(tmp_path / "m")
    assert back.thresholds == m.thresholds
    assert back.meta["cv"]["M2"] == {"precision": 0.5, "recall": 0.25, "f1": 0.3333, "support": 18}


def test_negative_decisions_and_missing_labels():
    # A code rejected on a unit and an example with no decision for other codes.
    examples = EXAMPLES + [Example("他们开会商量了一下午，最后决定上门去看看。", frozenset({"M3"}),
                                   negative=frozenset({"M2"}))]
    masked = train(examples, LABELS, implicit_negatives=False, epochs=5)
    full = train(examples, LABELS, implicit_negatives=True, epochs=5)
    assert masked.meta["label_counts"]["M2"] == {"positive": len(M2), "rejected": 1}
    assert masked.meta["settings"]["implicit_negatives"] is False
    # With only explicit decisions, no-code sentences teach nothing: scores differ.
    assert masked.predict(PROBE) != full.predict(PROBE)


def test_label_without_positive_is_skipped_not_fatal():
    m = train(EXAMPLES, [*LABELS, "F1"], epochs=3)
    assert m.labels == tuple(LABELS)
    assert m.meta["skipped_labels"] == [{"label": "F1", "reason": "no positive example"}]
    assert set(m.predict(["随便一句话"])[0]) == set(LABELS)
    # Codes outside the labels asked for are ignored and counted.
    m2 = train(EXAMPLES + [Example("理论编码", frozenset({"X9", "M2"}))], LABELS, epochs=3)
    assert m2.meta["ignored_codes"] == {"X9": 1}


@pytest.mark.parametrize(
    ("call", "match"),
    [
        (lambda: train([], LABELS), "no training examples"),
        (lambda: train(EXAMPLES[-3:], LABELS), "nothing to learn"),
        (lambda: train(EXAMPLES, []), "labels"),
        (lambda: train(EXAMPLES, "M2"), "single string"),
        (lambda: train(["文本"], LABELS), "not an Example"),
        (lambda: train(EXAMPLES, LABELS, epochs=0), "epochs"),
        (lambda: train(EXAMPLES, LABELS, ngram_size=7), "ngram_size must be 1, 2 or 3"),
        (lambda: train(EXAMPLES, LABELS, learn_rate="fast"), "learn_rate"),
        (lambda: train(EXAMPLES, LABELS, tune_folds=1), "tune_folds"),
        (lambda: train(EXAMPLES, LABELS, features="bytes"), "unknown features"),
        (lambda: train(EXAMPLES, LABELS, class_weight="heavy"), "unknown class_weight"),
        (lambda: train(EXAMPLES, LABELS, loss="hinge"), "unknown loss"),
        (lambda: train(EXAMPLES, LABELS, norm="max"), "unknown norm"),
        (lambda: train(EXAMPLES, LABELS, l2=-1), "l2 must be"),
        (lambda: train(EXAMPLES, LABELS, user_words="工作专班"), "user words"),
        (lambda: cross_validate(EXAMPLES, LABELS, folds=1), "folds"),
        (lambda: cross_validate(EXAMPLES[:3], LABELS, folds=5), "only 3 examples"),
        (lambda: Example("文本", frozenset({"M2"}), frozenset({"M2"})), "both accepted and rejected"),
        (lambda: Example("文本", "M2"), "set of code ids"),
        (lambda: Example(None, frozenset()), "must be a string"),
        (lambda: Model.from_bytes(b"not a tar"), "damaged"),
    ],
)
def test_bad_input_raises(call, match):
    with pytest.raises(BaolianError, match=match):
        call()


def test_predict_rejects_bad_texts(model):
    with pytest.raises(BaolianError, match="not a single string"):
        model.predict("一句话")
    with pytest.raises(BaolianError, match="not a string"):
        model.predict(["一句话", 3])
    assert model.predict([]) == []


def test_loading_something_else_names_the_path(model, tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(BaolianError) as err:
        load_model(empty)
    assert str(empty) in str(err.value)
    with pytest.raises(BaolianError, match="not a saved model"):
        load_model(tmp_path / "missing")
    fake = tmp_path / "fake"
    (fake / "nlp").mkdir(parents=True)
    (fake / "meta.json").write_text("{not json", encoding="utf-8")
    with pytest.raises(BaolianError, match="damaged") as err:
        load_model(fake)
    assert str(fake) in str(err.value)
    (fake / "meta.json").write_text(json.dumps({"format": "baolian-model", "labels": ["M2"]}))
    with pytest.raises(BaolianError, match="cannot load the model pipeline") as err:
        load_model(fake)
    assert str(fake) in str(err.value)
    # Saving refuses to overwrite a folder that is not a model.
    other = tmp_path / "notes"
    other.mkdir()
    (other / "keep.txt").write_text("x")
    with pytest.raises(BaolianError, match="not empty"):
        model.save(other)
    assert (other / "keep.txt").read_text() == "x"


def test_length_normalised_counts_and_log_loss(model):
    # The default architecture scales each unit's n-gram counts to unit length (L2) before the
    # sparse linear layer, so one unit repeated is not more certain than the unit itself.
    config = model.nlp.get_pipe_config("textcat_multilabel")["model"]
    assert config["@architectures"] == "baolian.TextCatBOWNorm.v1" and config["norm"] == "l2"
    textcat = model.nlp.get_pipe("textcat_multilabel").model
    layers = {layer.name: layer for layer in textcat.walk()}
    from spacy.tokens import Doc

    docs = [Doc(model.nlp.vocab, words=w) for w in (["工作专班", "工作专班", "开会"], ["上门"])]
    (_, vals, lengths), _ = layers["scale_counts"](layers["extract_ngrams"](docs, is_train=False)[0],
                                                   is_train=False)
    assert lengths.tolist() == [2, 1]
    assert sorted(vals[:2].tolist()) + [vals[2]] == pytest.approx([1 / 5 ** 0.5, 2 / 5 ** 0.5, 1.0])
    assert model.meta["settings"]["loss"] == "log" and model.meta["settings"]["norm"] == "l2"
    # The older settings remain: spaCy's own architecture and squared error.
    old = train(EXAMPLES, LABELS, features="words+chars", ngram_size=2, norm="none", loss="squared", epochs=3)
    assert old.nlp.get_pipe_config("textcat_multilabel")["model"]["@architectures"] == "spacy.TextCatBOW.v3"
    squared = train(EXAMPLES, LABELS, loss="squared", epochs=3)
    assert squared.predict(PROBE) != train(EXAMPLES, LABELS, epochs=3).predict(PROBE)


@pytest.mark.slow
def test_thresholds_tuned_by_default_from_enough_units():
    many = [Example(f"{e.text}（{i}）", e.codes) for i in range(2) for e in EXAMPLES]  # 132 units
    m = train(many, LABELS, epochs=3)
    assert m.meta["tuned_on_folds"] == 3
    assert train(many, LABELS, epochs=3, tune_folds=0).meta["tuned_on_folds"] == 0
    assert train(EXAMPLES, LABELS, epochs=3).meta["tuned_on_folds"] == 0  # fewer than 100 units
    # Cross-validation then tunes each fold's thresholds on the other folds' scores (no extra trainings).
    from coding.model_cv import out_of_fold

    probs = out_of_fold(many, LABELS, folds=3, epochs=3)
    assert len(probs) == len(many)
    assert all(t in [round(0.05 * i, 2) for i in range(1, 19)] for _, th in probs for t in th.values())


def test_model_saved_by_session_2_still_loads_and_predicts_the_same():
    # tests/data/model_session2.*: trained by the session-2 code (words+chars bigrams, squared error, no
    # "loss"/"norm" settings) on EXAMPLES with epochs=5; the JSON holds its own predictions.
    data = ROOT / "tests" / "data"
    saved = json.loads((data / "model_session2.json").read_text(encoding="utf-8"))
    old = Model.from_bytes((data / "model_session2.tar.gz").read_bytes())
    assert "loss" not in old.meta["settings"] and "norm" not in old.meta["settings"]
    assert old.version == saved["version"] and old.thresholds == saved["thresholds"]
    assert old.nlp.get_pipe_config("textcat_multilabel")["model"]["@architectures"] == "spacy.TextCatBOW.v3"
    got = old.predict(saved["probe"])
    for g, want in zip(got, saved["predict"]):
        assert g == pytest.approx(want, abs=1e-6)
