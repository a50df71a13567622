"""The course kit: the book's plan, each chapter's course data, and the pages generated from them.

The book's plan (``course.yml`` at the top of the repository) lists every
chapter, finished or planned, by part, and two 12-week course tracks. Each
finished chapter declares its own course data in its front matter::

    course:
      hours: 6                       # estimated study time, in hours
      prerequisites: [sampling]      # slugs of chapters to read first
      exercises:                     # every exercise label -> difficulty 1-3
        ising-ex-beta: 1

Everything else is read from the chapter itself: its title (the ``#``
heading), its sections (``##`` headings), its explorers (``Explorer(...,
title=...)`` calls in code cells) and its exercises (``{exercise}``
directives, whose titles are the short titles the index shows). The front
page's contents, the syllabus and the exercise index are MyST text made by the
functions here, so that they stay correct as chapters are added.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from pathlib import Path

from .notebooks import myst_blocks

#: Stars shown for each exercise difficulty.
DIFFICULTY = {1: "★", 2: "★★", 3: "★★★"}
#: What each difficulty means, for the legend of the generated pages.
DIFFICULTY_MEANING = {
    1: "apply the chapter's result or run one of its functions",
    2: "a short derivation or a small numerical study",
    3: "open-ended: a mini-project beyond the chapter",
}
#: Sections that are not reading for a week of a course.
NOT_READING = {"Exercises", "Where next", "References"}



class CourseError(ValueError):
    """The plan or a chapter's course data is inconsistent; the message names the file."""


@dataclass(frozen=True)
class Section:
    title: str
    anchor: str


@dataclass(frozen=True)
class Demo:
    """An explorer of a chapter, to demo in class: its title and the section it is in."""

    title: str
    section: Section


@dataclass(frozen=True)
class Exercise:
    label: str
    title: str
    difficulty: int


@dataclass(frozen=True)
class Chapter:
    """A finished chapter's course data (see the module docstring for where each comes from)."""

    slug: str
    docname: str
    title: str
    hours: float
    prerequisites: tuple[str, ...]
    sections: tuple[Section, ...]
    explorers: tuple[Demo, ...]
    exercises: tuple[Exercise, ...]


@dataclass(frozen=True)
class Track:
    title: str
    audience: str
    weeks: tuple[tuple[str, ...], ...]
    further: tuple[str, ...]


@dataclass(frozen=True)
class Plan:
    """The book's plan: parts as (title, {slug: planned title}), and the course tracks."""

    parts: tuple[tuple[str, dict], ...]
    tracks: tuple[Track, ...]

    @property
    def titles(self):
        return {slug: title for _, chapters in self.parts for slug, title in chapters.items()}

    @property
    def numbers(self):
        return {slug: i for i, slug in enumerate(self.titles, start=1)}


def _slugify(title):
    from myst_parser.mdit_to_docutils.base import default_slugify

    return default_slugify(title)


def load_plan(path):
    """Read and check ``course.yml``: every track week names a chapter of the plan."""
    import yaml

    path = Path(path)
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    parts = tuple((p["title"], dict(p["chapters"])) for p in data["parts"])
    known = {slug for _, chapters in parts for slug in chapters}
    tracks = []
    for t in data.get("tracks", []):
        weeks = tuple((w,) if isinstance(w, str) else tuple(w) for w in t["weeks"])
        further = tuple(t.get("further", ()))
        unknown = sorted({s for week in weeks for s in week} - known) + sorted(set(further) - known)
        if unknown:
            raise CourseError(f"{path}: track {t['title']!r} names chapters not in the plan: {unknown}")
        tracks.append(Track(t["title"], t.get("audience", ""), weeks, further))
    return Plan(parts, tuple(tracks))


def read_chapter(path, docname, plan):
    """The course data of the chapter at ``path`` (a MyST notebook), checked against ``plan``."""
    import jupytext

    path = Path(path)
    notebook = jupytext.read(path, fmt="md:myst")
    slug = Path(docname).name
    where = f"{path}"
    if slug not in plan.titles:
        raise CourseError(f"{where}: chapter {slug!r} is not in the book's plan (course.yml)")
    meta = notebook.metadata.get("course")
    if not isinstance(meta, dict):
        raise CourseError(f"{where}: the front matter needs a `course:` key with hours, prerequisites, exercises")
    hours = meta.get("hours")
    if isinstance(hours, bool) or not isinstance(hours, (int, float)) or not 0 < hours <= 40:
        raise CourseError(f"{where}: course.hours must be a number of study hours in (0, 40], got {hours!r}")
    prerequisites = tuple(meta.get("prerequisites") or ())
    unknown = [p for p in prerequisites if p not in plan.titles or p == slug]
    if unknown:
        raise CourseError(f"{where}: course.prerequisites names no other chapter of the plan: {unknown}")

    title, sections, explorers, found = None, [], [], []
    section = None
    for cell in notebook.cells:
        if cell.cell_type == "markdown":
            for kind, *rest in myst_blocks(cell.source.splitlines()):
                if kind == "directive":  # headings inside directives are not the chapter's sections
                    name, arg, options, _ = rest
                    if name in ("exercise", "exercise-start"):
                        if "label" not in options:
                            raise CourseError(f"{where}: exercise {arg!r} has no :label:")
                        found.append((options["label"], arg))
                    continue
                line = rest[0]
                if line.startswith("# ") and title is None:
                    title = line[2:].strip()
                elif line.startswith("## "):
                    section = Section(line[3:].strip(), _slugify(line[3:].strip()))
                    sections.append(section)
        elif cell.cell_type == "code" and "Explorer(" in cell.source:
            for name in _explorer_titles(cell.source):
                explorers.append(Demo(name, section))
    if title is None:
        raise CourseError(f"{where}: the chapter has no '# ' title")

    difficulties = dict(meta.get("exercises") or {})
    labels = [label for label, _ in found]
    missing = [label for label in labels if label not in difficulties]
    extra = [label for label in difficulties if label not in labels]
    if missing or extra:
        raise CourseError(f"{where}: course.exercises must give a difficulty for exactly the chapter's "
                          f"exercises; missing {missing}, not exercises of the chapter {extra}")
    bad = {k: v for k, v in difficulties.items() if v not in DIFFICULTY or isinstance(v, bool)}
    if bad:
        raise CourseError(f"{where}: course.exercises difficulties must be 1, 2 or 3, got {bad}")
    exercises = tuple(Exercise(label, name, difficulties[label]) for label, name in found)
    return Chapter(slug, docname, title, float(hours), prerequisites, tuple(sections), tuple(explorers),
                   exercises)


def _explorer_titles(source):
    """Titles of the ``Explorer(...)`` calls in a code cell (IPython magics are skipped)."""
    code = "\n".join(line for line in source.splitlines() if not line.lstrip().startswith(("%", "!")))
    titles = []
    for node in ast.walk(ast.parse(code)):
        if isinstance(node, ast.Call) and getattr(node.func, "id", getattr(node.func, "attr", None)) == "Explorer":
            title = next((k.value.value for k in node.keywords
                          if k.arg == "title" and isinstance(k.value, ast.Constant)), "explorer")
            titles.append(re.sub(r"^Explorer:\s*", "", title))
    return titles


def check_toc(plan, docnames):
    """Every chapter docname of the toc (``chapters/<slug>``) must be a chapter of the plan."""
    unknown = [d for d in docnames if d.startswith("chapters/") and Path(d).name not in plan.titles]
    if unknown:
        raise CourseError(f"_toc.yml lists chapters that are not in the book's plan (course.yml): {unknown}")


# --------------------------------------------------------------------------
# generated pages (MyST text; links are relative to a page one folder deep
# for the syllabus and index, and to the root for the contents)
# --------------------------------------------------------------------------
def _link(chapter, prefix, anchor=None, text=None):
    target = f"{prefix}{chapter.docname}.md" + (f"#{anchor}" if anchor else "")
    return f"[{text or chapter.title}]({target})"


def _planned(plan, slug, status="planned"):
    return f"{plan.titles[slug]} *({status})*"


def contents_markdown(plan, chapters, prefix=""):
    """The front page's contents: every part and chapter, finished ones linked."""
    out = []
    for part, slugs in plan.parts:
        out += [f"### {part}", ""]
        for slug in slugs:
            number = plan.numbers[slug]
            entry = _link(chapters[slug], prefix) if slug in chapters else _planned(plan, slug, "in preparation")
            out.append(f"{number}. {entry}")
        out.append("")
    return "\n".join(out)


def _split(items, n):
    """``items`` cut into ``n`` contiguous, nearly equal parts (earlier parts one longer)."""
    q, r = divmod(len(items), n)
    cuts, start = [], 0
    for k in range(n):
        stop = start + q + (k < r)
        cuts.append(items[start:stop])
        start = stop
    return cuts


def track_weeks(track, chapters):
    """Per week: a list of (slug, part index, part count, sections) for the chapters read that week.

    A chapter listed in ``k`` consecutive weeks has its reading sections split
    into ``k`` parts; ``sections`` is None for a planned chapter.
    """
    runs = {}
    for i, week in enumerate(track.weeks):
        for slug in week:
            if i > 0 and slug in track.weeks[i - 1]:
                runs[slug][-1].append(i)
            else:
                runs.setdefault(slug, []).append([i])
    plan = [[] for _ in track.weeks]
    for slug, spans in runs.items():
        for span in spans:
            reading = [s for s in chapters[slug].sections if s.title not in NOT_READING] if slug in chapters else None
            parts = _split(reading, len(span)) if reading is not None else [None] * len(span)
            for k, (week, sections) in enumerate(zip(span, parts)):
                plan[week].append((slug, k, len(span), sections))
    return plan


def syllabus_markdown(plan, chapters, prefix="../"):
    """The syllabus: each track's 12 weeks with reading, explorers to demo and exercises to assign."""
    out = ["## The two tracks at a glance", ""]
    header = "| Week | " + " | ".join(t.title for t in plan.tracks) + " |"
    out += [header, "|" + "---|" * (len(plan.tracks) + 1)]
    weeks = [track_weeks(t, chapters) for t in plan.tracks]
    for i in range(max(len(t.weeks) for t in plan.tracks)):
        cells = []
        for track_plan in weeks:
            entries = track_plan[i] if i < len(track_plan) else []
            cells.append("; ".join(_week_name(plan, chapters, e, prefix) for e in entries) or "—")
        out.append(f"| {i + 1} | " + " | ".join(cells) + " |")
    out.append("")

    for t, (track, track_plan) in enumerate(zip(plan.tracks, weeks)):
        out += [f"## Track {chr(ord('A') + t)}: {track.title}", "", f"*For:* {track.audience}", ""]
        for i, entries in enumerate(track_plan):
            out += [f"### Week {i + 1}: " + "; ".join(_week_name(plan, chapters, e) for e in entries), ""]
            for slug, k, n, sections in entries:
                out += _week_body(plan, chapters, slug, k, n, sections, prefix)
        if track.further:
            further = ", ".join(_link(chapters[s], prefix) if s in chapters else _planned(plan, s)
                                for s in track.further)
            out += [f"**Further chapters for projects or a longer course:** {further}.", ""]
    return "\n".join(out)


def _week_name(plan, chapters, entry, prefix=None):
    """Chapter number, title and part; linked when ``prefix`` is given and the chapter is finished."""
    slug, k, n, _ = entry
    name = chapters[slug].title if slug in chapters else plan.titles[slug]
    if prefix is not None and slug in chapters:
        name = _link(chapters[slug], prefix, text=name)
    part = f" (part {k + 1} of {n})" if n > 1 else ""
    status = "" if slug in chapters else " *(planned)*"
    return f"Chapter {plan.numbers[slug]}: {name}{part}{status}"


def _week_body(plan, chapters, slug, k, n, sections, prefix):
    if slug not in chapters:
        return [f"Chapter {plan.numbers[slug]} is planned: this week's reading, demos and "
                "exercises appear here when it is finished.", ""]
    chapter = chapters[slug]
    out = []
    hours = chapter.hours / n
    out.append(f"- **Study time:** about {hours:.3g} h (the chapter: {chapter.hours:.3g} h).")
    if chapter.prerequisites and k == 0:
        before = ", ".join(_link(chapters[p], prefix) if p in chapters else _planned(plan, p)
                           for p in chapter.prerequisites)
        out.append(f"- **Builds on:** {before}.")
    out.append("- **Read:** " + " · ".join(_link(chapter, prefix, s.anchor, s.title) for s in sections) + ".")
    titles = {s.title for s in sections}
    demos = [e for e in chapter.explorers if e.section is not None and e.section.title in titles]
    if demos:
        out.append("- **Demo in class:** " + " · ".join(
            _link(chapter, prefix, e.section.anchor, e.title) for e in demos) + ".")
    if k == n - 1 and chapter.exercises:
        out.append("- **Assign:** " + " · ".join(
            f"[{e.title}](#{e.label}) ({DIFFICULTY[e.difficulty]})" for e in chapter.exercises) + ".")
    out.append("")
    return out


def exercise_index_markdown(plan, chapters, prefix="../"):
    """Every exercise of every chapter, by chapter in book order, with its difficulty and a link."""
    out = ["| Chapter | Exercise | Difficulty |", "|---|---|---|"]
    # sphinx-exercise numbers exercises through the whole book, in toc order (the order of ``chapters``)
    numbers, n = {}, 1
    for chapter in chapters.values():
        for e in chapter.exercises:
            numbers[e.label], n = n, n + 1
    for slug, title in plan.titles.items():
        number = plan.numbers[slug]
        if slug not in chapters:
            out.append(f"| {number}. {title} *(planned)* | — | — |")
            continue
        chapter = chapters[slug]
        for j, e in enumerate(chapter.exercises):
            name = f"{number}. {_link(chapter, prefix)}" if j == 0 else ""
            out.append(f"| {name} | {numbers[e.label]}. [{e.title}](#{e.label}) | {DIFFICULTY[e.difficulty]} |")
    return "\n".join(out)


def difficulty_legend():
    return "\n".join(f"- {DIFFICULTY[d]}: {DIFFICULTY_MEANING[d]}" for d in sorted(DIFFICULTY))
