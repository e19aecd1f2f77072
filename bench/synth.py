"""Synthetic daily-paper digests for the storage benchmark, deterministic from a seed.

Modelled on ``seeds/daily-papers-2024-06-28.md``: English titles, authors from a Zipf-ish
pool of romanised, accented and Hangul names, and Korean summaries whose nouns carry their
particles (``추론은``, ``모델을``) and English terms in parentheses. Digests are generated
lazily, one at a time, so memory stays flat however many papers are asked for.
"""

from __future__ import annotations

import bisect
import datetime as dt
import itertools
import random
import re
from collections.abc import Iterator
from dataclasses import dataclass

from bot.models import KNOWN_SECTIONS, Digest, Paper
from bot.text import fold

START_DATE = dt.date(2019, 1, 1)
POOL_SIZE = 50_000

# -- Korean vocabulary: (Korean noun, English term) -----------------------------------------
NOUNS: tuple[tuple[str, str], ...] = (
    ("추론", "reasoning"),
    ("수학적 추론", "mathematical reasoning"),
    ("세그멘테이션", "segmentation"),
    ("강화 학습", "reinforcement learning"),
    ("대형 언어 모델", "LLMs"),
    ("언어 모델", "language model"),
    ("모델", "model"),
    ("학습", "training"),
    ("데이터셋", "dataset"),
    ("벤치마크", "benchmark"),
    ("에이전트", "agent"),
    ("확산 모델", "diffusion model"),
    ("멀티모달 언어 모델", "Multi-modal Large Language Model, MLLM"),
    ("선호 최적화", "preference optimization"),
    ("지식 증류", "Knowledge Distillation"),
    ("트랜스포머", "Transformer"),
    ("어텐션 메커니즘", "attention mechanism"),
    ("희소 주의", "sparse attention"),
    ("미세조정", "fine-tuning"),
    ("프롬프트", "prompt"),
    ("비주얼 인코더", "visual encoder"),
    ("디코더", "decoder"),
    ("토큰", "token"),
    ("검색 증강 생성", "Retrieval-Augmented Generation, RAG"),
    ("비디오 생성", "video generation"),
    ("이미지 생성", "image generation"),
    ("객체 탐지", "object detection"),
    ("음성 인식", "speech recognition"),
    ("기계 번역", "machine translation"),
    ("코드 생성", "code generation"),
    ("시각 언어 모델", "vision-language model"),
    ("보상 모델", "reward model"),
    ("정렬", "alignment"),
    ("양자화", "quantization"),
    ("가지치기", "pruning"),
    ("일반화 능력", "generalization"),
    ("제로샷 학습", "zero-shot learning"),
    ("사전 학습", "pre-training"),
    ("지시 튜닝", "instruction tuning"),
    ("합성 데이터", "synthetic data"),
    ("평가", "evaluation"),
    ("파이프라인", "pipeline"),
    ("프레임워크", "framework"),
    ("아키텍처", "architecture"),
    ("그래프 신경망", "graph neural network"),
    ("3D 재구성", "3D reconstruction"),
    ("뉴럴 렌더링", "neural rendering"),
    ("로봇 조작", "robot manipulation"),
    ("계획", "planning"),
    ("도구 사용", "tool use"),
    ("환각", "hallucination"),
    ("장문 맥락", "long context"),
    ("혼합 전문가", "Mixture of Experts, MoE"),
    ("상태 공간 모델", "state space model"),
    ("자기 지도 학습", "self-supervised learning"),
    ("대조 학습", "contrastive learning"),
    ("파노프틱 세그멘테이션", "panoptic segmentation"),
    ("불확실성", "uncertainty"),
    ("지식 검색", "knowledge retrieval"),
    ("오류 토큰", "error tokens"),
    ("추론 단계", "reasoning step"),
    ("시각 토큰", "visual tokens"),
    ("메모리 효율", "memory efficiency"),
    ("처리량", "throughput"),
    ("레이어", "layer"),
    ("임베딩", "embedding"),
    ("손실 함수", "loss function"),
    ("최적화", "optimization"),
    ("교사 모델", "teacher model"),
    ("학생 모델", "student model"),
    ("질문 응답", "question answering, QA"),
    ("요약", "summarization"),
    ("감정 분석", "sentiment analysis"),
    ("의료 영상", "medical imaging"),
    ("자율 주행", "autonomous driving"),
    ("연합 학습", "federated learning"),
    ("적대적 공격", "adversarial attack"),
    ("워터마킹", "watermarking"),
    ("스크린샷", "screenshot"),
    ("사용자 인터페이스", "GUI"),
)
BENCHMARKS = (
    "MATH", "GSM8K", "MMLU", "HumanEval", "COCO", "ImageNet", "VQAv2", "MT-Bench", "AlpacaEval",
    "LongBench", "ARC", "HellaSwag", "VIPSeg", "refCOCO", "ScanNet", "LibriSpeech", "WMT22", "SWE-bench",
)  # fmt: skip
MODELS = (
    "GPT-4", "GPT-4o", "Claude-3-Opus", "Gemini-1.5-Pro", "Qwen-72B-Instruct", "LLaMA-3-8B", "Mistral-7B",
    "Mixtral-8x7B", "Phi-3", "Stable Diffusion XL", "SAM", "CLIP", "LLaVA-1.5", "Whisper",
)  # fmt: skip
SENTENCES = (
    "이 논문은 {a}{을} 위한 새로운 {b}{을} 제안합니다.",
    "{a}{은} {b}에서 중요한 능력으로 인식되고 있습니다.",
    "{x}{는} {a}{과} {b}{을} 결합한 새로운 {c}입니다.",
    "{x}{는} 각 {a}{을} 기본 단위로 취급하여 {b}{을} 수행합니다.",
    "이를 통해 {a}{이} 더 효과적으로 {b}{을} 찾아내고 최적화할 수 있도록 지원합니다.",
    "{a}{을} 통해 {b}의 효율성을 크게 개선합니다.",
    "기존의 {a} 방법들은 {b}{을} 충분히 고려하지 못했습니다.",
    "이를 위해 {a}{을} 기반으로 한 {b} 모듈을 설계하였습니다.",
    "또한, 고품질의 {a}{을} 효율적으로 수집하는 {b}{을} 제안합니다.",
    "{x}{로} {m} 모델을 미세조정한 결과, {bench}에서 {p}%의 정확도를 달성했습니다.",
    "이는 {m} 등 일련의 비공개 모델을 능가하는 성과입니다.",
    "실험 결과, {x}{는} {bench} 벤치마크에서 기존 방법보다 {p}% 향상된 성능을 보였습니다.",
    "특히 {a}{은} {b}{과} 비교하여 {n}배 빠른 처리 속도를 달성했습니다.",
    "{a}{과} {b}{을} 동시에 수행할 수 있는 통합 {c}{을} 도입했습니다.",
    "우리는 {a}에서 발생하는 {b} 문제를 해결하기 위해 {c}{을} 활용합니다.",
    "{x}{는} {a}{이} 필요 없는 {b} 기법으로, {c}{을} 유지하면서 비용을 줄입니다.",
    "광범위한 실험에서 {a}{과} {b} 과제 모두 {p}% 이상의 성능 향상을 보였습니다.",
    "이 모델은 {a} 결과를 더 잘 인코딩하기 위해 {b}{을} 생성합니다.",
    "{a}{은} 주로 {b}에 의존하고 있어 실제 환경에 배포하기엔 어려움이 있습니다.",
    "{x}{는} {bench}{과} {bench2}에서 각각 {p}%와 {p2}%의 성능을 기록했습니다.",
)
# particle templates: (after a final consonant, after a vowel); 로 also follows ㄹ
PARTICLES = {"은": ("은", "는"), "는": ("은", "는"), "이": ("이", "가"), "을": ("을", "를"),
             "과": ("과", "와"), "로": ("으로", "로")}  # fmt: skip

# -- titles ----------------------------------------------------------------------------------
ACRONYM_PARTS = (
    "Step", "DPO", "OMG", "LLaVA", "Sea", "KR", "Mo", "A", "Gen", "Vid", "Seg", "Any", "Uni", "Flash", "Mamba",
    "Diff", "RL", "Vision", "Code", "Math", "Agent", "Tree", "Lens", "Sim", "Class", "Long", "Hydra", "Omni",
    "X", "Fusion", "Med", "Robo", "Chat", "Instruct", "Q", "Sparse", "Mix", "Nano", "Mega", "Video", "3D",
)  # fmt: skip
TITLE_ADJ = (
    "Step-wise", "Self-aware", "Adaptive", "Efficient", "Scalable", "Unified", "Robust", "Training-free",
    "Multimodal", "Hierarchical", "Sparse", "Long-context", "Zero-shot", "Interpretable", "Controllable",
    "Open-vocabulary", "Lightweight", "Generalist", "Fine-grained", "Compositional",
)  # fmt: skip
TITLE_METHOD = (
    "Preference Optimization", "Knowledge Retrieval", "Diffusion Models", "Mixture of Attention",
    "Vision Transformers", "Reward Modeling", "Knowledge Distillation", "Contrastive Learning",
    "Instruction Tuning", "Quantization", "Token Merging", "State Space Models", "Retrieval Augmented Generation",
    "Chain-of-Thought Prompting", "Speculative Decoding", "Low-Rank Adaptation", "Gaussian Splatting",
    "Neural Radiance Fields", "Graph Neural Networks", "Multi-Agent Collaboration",
)  # fmt: skip
TITLE_TASK = (
    "Long-chain Reasoning", "Mathematical Reasoning", "Video Generation", "Image Segmentation",
    "Panoptic Segmentation", "Object Detection", "Code Generation", "Text-to-Image Synthesis", "Question Answering",
    "Speech Recognition", "Machine Translation", "Robot Manipulation", "Autonomous Driving", "3D Reconstruction",
    "Document Understanding", "GUI Navigation", "Medical Imaging", "Hallucination Mitigation",
    "Classroom Education", "Tool Use",
)  # fmt: skip
TITLE_OBJECT = (
    "LLMs", "Large Language Models", "Vision-Language Models", "MLLMs", "Small Language Models", "Agents",
    "Diffusion Transformers", "Edge Devices", "Low-resource Languages", "Scientific Documents",
)  # fmt: skip
TITLE_TEMPLATES = (
    "{acr}: {adj} {method} for {task} of {obj}",
    "{acr}: {adj} {method} for {task}",
    "{acr}: Bridging {task} and {task2} with {obj}",
    "Towards {adj} {task} via {method}",
    "{adj} {method} Improves {task} in {obj}",
    "{acr}: Scaling {method} to {obj}",
    "Do {obj} Really Need {method}? A Study of {task}",
    "Simulating {task} with {obj}-Empowered Agents",
    "{acr}: Aligning {obj} with {method} for {task}",
    "{acr}: A Benchmark for {adj} {task}",
)

# -- author names ----------------------------------------------------------------------------
CN_SYLLABLES = (
    "xin", "yu", "hao", "zhi", "jun", "wei", "yang", "kang", "qiao", "sen", "tao", "yuan", "jia", "ya", "ming",
    "hui", "lei", "fei", "qiang", "bo", "chen", "dong", "feng", "gang", "hong", "jie", "kai", "lin", "long",
    "peng", "qing", "rui", "shu", "ting", "wen", "xiang", "xue", "yan", "ying", "yong", "zhen", "zi", "heng",
    "shun", "ping", "tian", "hai", "cheng", "liang", "guo",
)  # fmt: skip
CN_SURNAMES = (
    "Wang", "Li", "Zhang", "Liu", "Chen", "Yang", "Huang", "Zhao", "Wu", "Zhou", "Xu", "Sun", "Ma", "Zhu", "Hu",
    "Guo", "He", "Lin", "Luo", "Gao", "Zheng", "Liang", "Xie", "Song", "Tang", "Han", "Feng", "Deng", "Cao",
    "Peng", "Zeng", "Xiao", "Tian", "Dong", "Pan", "Yuan", "Cai", "Jiang", "Yu", "Du", "Ye", "Cheng", "Wei",
    "Su", "Lu", "Ding", "Ren", "Shen", "Yao", "Fei", "Lai", "Ning", "Qi", "Jia", "Yan", "Tao", "Fu", "Fang",
)  # fmt: skip
KR_SYLLABLES = (
    "min", "jun", "seo", "yeon", "ji", "hoon", "hyun", "woo", "sung", "jae", "young", "eun", "hye", "dong",
    "su", "jin", "ho", "kyung", "soo", "won", "hee", "joon", "seung", "tae", "yoon", "chan", "ha", "bin",
)  # fmt: skip
KR_SURNAMES = (
    "Kim", "Lee", "Park", "Choi", "Jung", "Kang", "Cho", "Yoon", "Jang", "Lim", "Han", "Shin", "Seo", "Kwon",
    "Hwang", "Ahn", "Song", "Ryu", "Hong", "Jeon", "Ko", "Moon", "Yang", "Son", "Bae", "Baek",
)  # fmt: skip
EU_GIVEN = (
    "José", "François", "Jürgen", "Łukasz", "Søren", "Zoë", "André", "Björn", "Mónica", "Inês", "Chloé", "Hélène",
    "Nicolás", "Sebastián", "Ramón", "Ángel", "Jérôme", "Gaël", "Mats", "Anna", "Maria", "Thomas", "Michael",
    "David", "Daniel", "Laura", "Sarah", "Emma", "Lucas", "Marco", "Giulia", "Pierre", "Nina", "Oliver", "Ivan",
    "Olga", "Dmitry", "Katarzyna", "Tomáš", "Zoltán", "Ferenc", "Ewa", "Paweł", "Joël", "Noémie", "Raphaël",
    "Aditya", "Priya", "Rahul", "Ananya", "Mohammed", "Fatima", "Yusuf", "Ayşe", "Çağlar", "Emre", "Hiroshi",
    "Yuki", "Takumi", "Sakura", "Kenji", "John", "Robert", "James", "Jennifer", "Christopher", "Matthew",
)  # fmt: skip
EU_SURNAMES = (
    "Hernández-Orallo", "García", "Müller", "Schölkopf", "Dubois", "Nowak", "Kowalski", "Smith", "Johnson",
    "Williams", "Brown", "Jones", "Martínez", "López", "González", "Pérez", "Sánchez", "Rossi", "Bianchi",
    "Schmidhuber", "Schmidt", "Schneider", "Fischer", "Weber", "Meyer", "Wagner", "Becker", "Hoffmann", "Lefèvre",
    "Moreau", "Fournier", "Girard", "Bonnet", "Dupont", "Lambert", "Fontaine", "Rousseau", "Vincent", "Jansen",
    "de Vries", "van der Berg", "Bakker", "Visser", "Andersson", "Johansson", "Karlsson", "Nielsen", "Hansen",
    "Sørensen", "Ivanov", "Petrov", "Sokolov", "Novák", "Dvořák", "Kovács", "Szabó", "Wiśniewski", "Wójcik",
    "Sharma", "Gupta", "Singh", "Patel", "Kumar", "Reddy", "Yılmaz", "Kaya", "Öztürk", "Tanaka", "Suzuki",
    "Takahashi", "Watanabe", "Itō", "Nakamura", "O'Brien", "McAllister", "Zhang-Li", "Ruiz-Gómez", "Ferreira",
    "Silva", "Santos", "Oliveira", "Costa", "Pereira", "Almeida", "Nuñez", "Iglesias", "Núñez-Peña",
)  # fmt: skip
HANGUL_SURNAMES = "김이박최정강조윤장임한신서권황안송류홍전"
HANGUL_GIVEN = "철수영희민준서연지훈현우수빈예은도윤하은시우지아주원유진승민다은재원소윤건우채원"


def _has_final(word: str) -> tuple[bool, bool]:
    """(has a final consonant, the final is ㄹ) for the last Hangul syllable of ``word``."""
    code = ord(word[-1]) - 0xAC00
    if 0 <= code < 11172:
        final = code % 28
        return final != 0, final == 8
    return False, False  # digits/Latin: treated as vowel-final ("3D" is read "디")


def attach(noun: str, particle: str) -> str:
    """``추론`` + ``은`` → ``추론은``; ``모델`` + ``로`` → ``모델로``; ``학습`` + ``로`` → ``학습으로``."""
    final, rieul = _has_final(noun)
    after_consonant, after_vowel = PARTICLES[particle]
    if particle == "로" and rieul:
        return noun + "로"
    return noun + (after_consonant if final else after_vowel)


@dataclass(frozen=True, slots=True)
class AuthorPool:
    names: tuple[str, ...]
    cum_weights: tuple[float, ...]

    def sample(self, rng: random.Random, k: int) -> list[str]:
        total = self.cum_weights[-1]
        cw, names = self.cum_weights, self.names
        return [names[bisect.bisect(cw, rng.random() * total)] for _ in range(k)]


def author_pool(seed: int, size: int = POOL_SIZE) -> AuthorPool:
    """``size`` distinct names; rank r is drawn with weight 1/(r+200) (Zipf-Mandelbrot): at 100k papers
    the most prolific author has ~500 papers, the median one ~5."""
    rng = random.Random(f"authors-{seed}")
    names: dict[str, None] = {}
    while len(names) < size:
        roll = rng.random()
        if roll < 0.55:  # romanised Chinese: "Senqiao Yang"
            given = "".join(rng.choice(CN_SYLLABLES) for _ in range(rng.choice((1, 2, 2)))).capitalize()
            name = f"{given} {rng.choice(CN_SURNAMES)}"
        elif roll < 0.70:  # romanised Korean: "Ji-hoon Park", "Minjun Kim"
            a, b = rng.choice(KR_SYLLABLES), rng.choice(KR_SYLLABLES)
            given = f"{a.capitalize()}-{b}" if rng.random() < 0.5 else (a + b).capitalize()
            name = f"{given} {rng.choice(KR_SURNAMES)}"
        elif roll < 0.96:  # European and others, accents included: "José Hernández-Orallo"
            middle = f" {rng.choice(EU_GIVEN)[0]}." if rng.random() < 0.1 else ""
            name = f"{rng.choice(EU_GIVEN)}{middle} {rng.choice(EU_SURNAMES)}"
        else:  # Hangul: "김철수"
            i = rng.randrange(len(HANGUL_GIVEN) // 2) * 2
            name = rng.choice(HANGUL_SURNAMES) + HANGUL_GIVEN[i : i + 2]
            if rng.random() < 0.5:
                j = rng.randrange(len(HANGUL_GIVEN))
                name = name[:2] + HANGUL_GIVEN[j]
        names[name] = None
    ordered = list(names)
    rng.shuffle(ordered)
    weights = [1.0 / (rank + 200) for rank in range(len(ordered))]
    return AuthorPool(tuple(ordered), tuple(itertools.accumulate(weights)))


class Generator:
    """Papers and digests; the same seed gives the same corpus."""

    def __init__(self, seed: int = 0) -> None:
        self.seed = seed
        self.rng = random.Random(seed)
        self.pool = author_pool(seed)
        # pre-render each noun with and without its English term, and each form with each particle
        self._plain: list[dict[str, str]] = []
        self._glossed: list[dict[str, str]] = []
        for ko, en in NOUNS:
            self._plain.append({"": ko, **{p: attach(ko, p) for p in PARTICLES}})
            glossed = f"{ko}({en})"
            self._glossed.append({"": glossed, **{p: glossed + attach(ko, p)[len(ko) :] for p in PARTICLES}})
        # split each sentence template once into literal text and slots
        self._templates = [_compile(t) for t in SENTENCES]

    # -- pieces --------------------------------------------------------------------------------
    def acronym(self) -> str:
        rng = self.rng
        parts = rng.sample(ACRONYM_PARTS, rng.choice((1, 2, 2, 3)))
        return (rng.choice(("-", "", "")) if len(parts) > 1 else "").join(parts)

    def title(self, acr: str) -> str:
        rng = self.rng
        return rng.choice(TITLE_TEMPLATES).format(
            acr=acr,
            adj=rng.choice(TITLE_ADJ),
            method=rng.choice(TITLE_METHOD),
            task=rng.choice(TITLE_TASK),
            task2=rng.choice(TITLE_TASK),
            obj=rng.choice(TITLE_OBJECT),
        )

    def noun_index(self) -> int:
        """Which noun a sentence slot uses (subclasses skew the topics)."""
        return self.rng.randrange(len(NOUNS))

    def sentence(self, acr: str) -> str:
        rng = self.rng
        out: list[str] = []
        used_gloss = False
        for literal, slot, particle in rng.choice(self._templates):
            out.append(literal)
            if not slot:
                continue
            if slot in ("a", "b", "c"):
                i = self.noun_index()
                gloss = not used_gloss and rng.random() < 0.35  # at most one English gloss per sentence
                used_gloss = used_gloss or gloss
                out.append((self._glossed if gloss else self._plain)[i][particle])
            elif slot in ("x", "m", "bench", "bench2"):
                name = acr if slot == "x" else rng.choice(MODELS if slot == "m" else BENCHMARKS)
                out.append(_acr(name, particle) if particle else name)
            elif slot in ("p", "p2"):
                out.append(f"{rng.uniform(0.5, 95):.1f}")
            elif slot == "n":
                out.append(f"{rng.uniform(1.2, 9.9):.1f}")
        return "".join(out)

    def section_text(self, acr: str) -> str:
        rng = self.rng
        target = rng.randint(150, 450)
        text = ""
        while True:
            s = self.sentence(acr)
            if text and len(text) >= 150 and len(text) + 1 + len(s) > target:
                return text
            if len(text) + 1 + len(s) > 450:  # never past the upper bound
                if len(text) >= 150:
                    return text
                continue
            text = f"{text} {s}" if text else s

    def paper(self, arxiv_id: str) -> Paper:
        rng = self.rng
        acr = self.acronym()
        n_authors = min(15, max(2, round(rng.lognormvariate(1.75, 0.45))))  # median ~6, 2..15
        authors = list(dict.fromkeys(self.pool.sample(rng, n_authors)))
        while len(authors) < 2:
            authors = list(dict.fromkeys([*authors, *self.pool.sample(rng, 1)]))
        n_sections = rng.choice((1, 2, 3, 3, 3))
        sections = tuple((name, self.section_text(acr)) for name in KNOWN_SECTIONS[:n_sections])
        return Paper(
            arxiv_id=arxiv_id,
            url=f"https://arxiv.org/abs/{arxiv_id}",
            title=self.title(acr),
            thumbnail=f"https://cdn-thumbnails.huggingface.co/social-thumbnails/papers/{arxiv_id}.png",
            votes=None if rng.random() < 0.05 else int(rng.paretovariate(1.3)) - 1,
            authors=tuple(authors),
            sections=sections,
            links=((("Code", f"https://github.com/{acr.lower()}/{acr.lower()}"),) if rng.random() < 0.3 else ()),
        )

    def digests(self, n_papers: int, per_digest: int = 50) -> Iterator[Digest]:
        """Daily digests of ``per_digest`` ± 10 papers until ``n_papers`` in all; arXiv ids unique."""
        rng = self.rng
        day = START_DATE
        month, counter = (day.year, day.month), 0
        made = 0
        while made < n_papers:
            size = min(n_papers - made, rng.randint(per_digest - 10, per_digest + 10))
            if (day.year, day.month) != month:
                month, counter = (day.year, day.month), 0
            papers = []
            for _ in range(size):
                counter += rng.randint(1, 4)
                papers.append(self.paper(f"{day.year % 100:02d}{day.month:02d}.{counter:05d}"))
            yield Digest(day, tuple(papers))
            made += size
            day += dt.timedelta(days=1)


def _acr(acr: str, particle: str) -> str:
    """The method's name with a particle, read as its last letter sounds (``Step-DPO는``, ``SeaKR은``)."""
    last = acr[-1]
    # Latin letters read with a final consonant in Korean: L(엘) M(엠) N(엔) R(알); digits 0 1 3 6 7 8
    final = last in "LMNRlmnr013678"
    pair = PARTICLES[particle]
    if particle == "로":
        return acr + ("로" if not final or last in "LlRr" else "으로")
    return acr + (pair[0] if final else pair[1])


def _compile(template: str) -> list[tuple[str, str, str]]:
    """``"{a}{을} 위한 {b}"`` → ``[("", "a", "을"), (" 위한 ", "b", ""), ("", "", "")]``: literal, slot, particle."""
    pieces = re.split(r"\{(\w+)\}", template)  # literal, slot, literal, slot, ..., literal
    parts: list[tuple[str, str, str]] = []
    literal = pieces[0]
    for i in range(1, len(pieces), 2):
        name, after = pieces[i], pieces[i + 1]
        if name in PARTICLES and parts and not literal and not parts[-1][2]:
            parts[-1] = (parts[-1][0], parts[-1][1], name)
        else:
            parts.append((literal, name, ""))
            literal = ""
        literal += after
    parts.append((literal, "", ""))
    return parts


# -- queries ---------------------------------------------------------------------------------
KO_LONG = (
    "세그멘테이션", "추론은", "모델을", "강화 학습", '"강화 학습"', "데이터셋", "벤치마크", "에이전트", "트랜스포머",
    "미세조정", "프롬프트", "확산 모델", "대형 언어 모델", "파노프틱", "워터마킹", "양자화", "가지치기", "지식 증류",
    "학습을", "추론 단계", "정확도를", "처리 속도", "불확실성", "세그멘테이션을", "연합 학습", '"손실 함수"',
    "어텐션 메커니즘", "스크린샷", "파이프라인을", "임베딩",
)  # fmt: skip
KO_SHORT = ("모델", "학습", "추론", "성능", "방법", "평가", "정렬", "토큰", "계획", "환각", "요약", "검색", "생성")
EN_WORDS = (
    "diffusion", "segmentation", "reasoning", "LLM", "transformer", "benchmark", "Mamba", "quantization", "LLaVA",
    "GSM8K", "hallucination", "distillation", "fine-tuning", "GPT-4", "Qwen", "splatting", "MoE", "Agents",
)  # fmt: skip
EN_PHRASES = (
    "preference optimization", '"video generation"', "long context", "knowledge distillation",
    "reinforcement learning", "chain-of-thought", "state space models", '"Preference Optimization"',
    "mixture of experts", '"object detection"', "speculative decoding", "gaussian splatting",
)  # fmt: skip
MIXED = ("세그멘테이션 COCO", "diffusion 모델", "LLM 추론", "GPT-4 성능", '"강화 학습" agent')
NO_MATCH = (
    "blockchain", "zebrafish", "quantum chromodynamics", "색역학 격자", "기후 변화", "단백질 접힘", "xylophone",
    '"protein folding"', "천체물리학", "cryptocurrency",
)  # fmt: skip
#: (kind, share, terms) for keyword queries
KEYWORD_MIX = (
    ("ko 3+ chars", 0.30, KO_LONG),
    ("ko 2 chars", 0.20, KO_SHORT),
    ("en word", 0.20, EN_WORDS),
    ("en phrase", 0.15, EN_PHRASES),
    ("mixed ko+en", 0.05, MIXED),
    ("no match", 0.10, NO_MATCH),
)
MISSING_AUTHORS = ("Zebulon Quackenbush", "Xyzzy Plugh", "홍길동", "Quentin Blorfmann", "Ottilie Vandersnoot")


def keyword_queries(seed: int, n: int) -> list[tuple[str, str]]:
    """``n`` (kind, query) pairs in the proportions of :data:`KEYWORD_MIX`, shuffled."""
    rng = random.Random(f"keywords-{seed}")
    out: list[tuple[str, str]] = []
    for kind, share, terms in KEYWORD_MIX:
        out.extend((kind, rng.choice(terms)) for _ in range(round(n * share)))
    rng.shuffle(out)
    return out[:n]


def author_queries(pool: AuthorPool, seed: int, n: int) -> list[tuple[str, str]]:
    """``n`` (kind, name) pairs: full names (popular ones more often), surnames alone, folded
    spellings such as ``jose hernandez``, Hangul names, and names nobody has."""
    rng = random.Random(f"author-queries-{seed}")
    out: list[tuple[str, str]] = []
    while len(out) < n:
        roll = rng.random()
        name = pool.sample(rng, 1)[0]
        is_hangul = "\uac00" <= name[0] <= "\ud7a3"
        if roll < 0.40:
            out.append(("full name", name))
        elif roll < 0.65:
            out.append(("surname", name[0] if is_hangul else name.rsplit(" ", 1)[-1]))
        elif roll < 0.85 and not is_hangul:
            folded = fold(name)
            given, _, surname = folded.rpartition(" ")
            if "-" in surname and rng.random() < 0.5:  # "José Hernández-Orallo" typed as "jose hernandez"
                folded = f"{given} {surname.split('-')[0]}"
            out.append(("lowercase unaccented", folded))
        elif roll < 0.95:
            while not is_hangul:  # a Hangul name drawn as often as papers carry it
                name = pool.sample(rng, 1)[0]
                is_hangul = "\uac00" <= name[0] <= "\ud7a3"
            out.append(("hangul name", name))
        else:
            out.append(("no match", rng.choice(MISSING_AUTHORS)))
    return out
