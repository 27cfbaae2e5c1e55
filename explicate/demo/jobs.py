"""Synthetic job postings for the demo (written by explicate, not real data): is a posting a SCAM
or LEGIT? Each posting is a title and a body of a few sentences drawn, with a fixed seed, from
pools of sentences typical of each class plus neutral ones; some postings carry a sentence of the
other class, and a few are labeled against their cues (noise). The demo's rules and explanations
name only some of the cues, so the end model has something to generalize to."""

from __future__ import annotations

import random
from pathlib import Path

import pandas as pd

LABELS = ("LEGIT", "SCAM")

ROLES = ["Data Analyst", "Warehouse Associate", "Customer Support Agent", "Registered Nurse",
         "Software Engineer", "Bookkeeper", "Delivery Driver", "Marketing Assistant",
         "Office Administrator", "Sales Representative", "Graphic Designer", "Line Cook"]
LEGIT_TITLES = ["{role}", "{role} (full-time)", "Senior {role}", "{role}, {city} office",
                "Hiring: {role}", "{role} - day shift"]
SCAM_TITLES = ["{role} - work from home!!", "Earn $500 a day as a {role}", "{role} URGENT",
               "Easy {role} job, start today", "{role} - no interview", "Home-based {role}"]
CITIES = ["Leeds", "Austin", "Lyon", "Porto", "Denver", "Osaka", "Toronto", "Cork"]

# Cue sentences. The rules and explanations of the demo name the first few of each list only.
LEGIT_CUES = [
    "We offer health insurance and a pension plan.",
    "Benefits include paid time off and health insurance.",
    "Requires 3 years of experience in a similar role.",
    "Candidates will be invited to an interview at our office.",
    "Please submit your CV and a cover letter through our careers page.",
    "The salary band is published on our website.",
    "You will report to the team lead and join weekly planning meetings.",
    "We are an equal opportunity employer.",
    "Background checks are run by our HR department after an offer.",
    "The role is based in our {city} office with two remote days a week.",
    "Our onboarding programme lasts two weeks.",
    "Training budget and mentoring are part of the package.",
]
SCAM_CUES = [
    "A small processing fee is required before you start.",
    "Send a registration fee by wire transfer to secure your spot.",
    "No experience needed, anyone can do it.",
    "Guaranteed income from the first week.",
    "Contact our recruiter on WhatsApp only.",
    "Buy the starter kit with gift cards and we refund you later.",
    "Get paid weekly in cash or crypto.",
    "Limited spots left, reply within 24 hours.",
    "You will receive checks to deposit and forward the money.",
    "Be your own boss and earn unlimited money.",
    "Send a copy of your passport and bank details to apply.",
    "Make thousands from your phone in your free time.",
]
NEUTRAL = [
    "The schedule is Monday to Friday.",
    "Start date is flexible.",
    "Good communication skills are a plus.",
    "You should be organised and reliable.",
    "Tasks vary from day to day.",
    "Applicants must be 18 or older.",
    "The team is friendly and growing.",
    "Questions are welcome.",
]


def make_postings(n: int, seed: int) -> pd.DataFrame:
    """``n`` postings (title, body, label), about one third SCAM; deterministic for a seed."""
    rng = random.Random(seed)
    rows = []
    for _ in range(n):
        scam = rng.random() < 0.35
        cues, other = (SCAM_CUES, LEGIT_CUES) if scam else (LEGIT_CUES, SCAM_CUES)
        titles = SCAM_TITLES if scam and rng.random() < 0.6 else LEGIT_TITLES
        city = rng.choice(CITIES)
        sentences = rng.sample(cues, rng.choice((1, 2, 2, 3)))
        sentences += rng.sample(NEUTRAL, rng.choice((1, 2)))
        if rng.random() < 0.12:  # a confusing sentence of the other class
            sentences.append(rng.choice(other))
        rng.shuffle(sentences)
        label = LABELS[int(scam)]
        if rng.random() < 0.04:  # label noise, as in any real data set
            label = LABELS[1 - int(scam)]
        rows.append({
            "title": rng.choice(titles).format(role=rng.choice(ROLES), city=city),
            "body": " ".join(sentences).format(city=city),
            "label": label,
        })
    return pd.DataFrame(rows)


def write_demo_data(folder: Path) -> dict[str, Path]:
    """Write the train pool (600), dev (150) and test (400) splits as CSV into ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = {}
    for split, (n, seed) in {"train": (600, 1), "dev": (150, 2), "test": (400, 3)}.items():
        paths[split] = folder / f"jobs_{split}.csv"
        make_postings(n, seed).to_csv(paths[split], index=False)
    return paths
