"""The course kit's data: the book's plan, each chapter's course front matter, the generated pages."""

import re
import shutil
from pathlib import Path

import pytest
import yaml

from emergence import course
from emergence.sphinx_course import toc_docnames

ROOT = Path(__file__).resolve().parents[1]
PLAN = course.load_plan(ROOT / "course.yml")
TOC_CHAPTERS = [d for d in toc_docnames(ROOT, "_toc.yml") if d.startswith("chapters/")]


def read_all(root=ROOT, docnames=TOC_CHAPTERS, plan=PLAN):
    chapters = {}
    for docname in docnames:
        chapter = course.read_chapter(root / f"{docname}.md", docname, plan)
        chapters[chapter.slug] = chapter
    return chapters


CHAPTERS = read_all()


def test_plan_has_21_chapters_in_five_parts_and_two_12_week_tracks():
    assert len(PLAN.titles) == 21 and len(PLAN.parts) == 5
    assert list(PLAN.numbers.values()) == list(range(1, 22))
    assert len(PLAN.tracks) == 2
    for track in PLAN.tracks:
        assert len(track.weeks) == 12 and track.audience


def test_every_toc_chapter_is_in_the_plan_and_declares_its_course_data():
    course.check_toc(PLAN, TOC_CHAPTERS)
    assert len(CHAPTERS) == len(TOC_CHAPTERS) >= 5
    for chapter in CHAPTERS.values():
        assert chapter.hours > 0 and chapter.sections and chapter.explorers
        assert len(chapter.exercises) >= 3
        assert all(e.difficulty in (1, 2, 3) and e.title for e in chapter.exercises)
        # the titles the index shows are the exercise directives' own
        text = (ROOT / f"{chapter.docname}.md").read_text()
        for e in chapter.exercises:
            assert f"{{exercise}} {e.title}\n:label: {e.label}" in text


def test_toc_chapter_outside_the_plan_is_refused():
    with pytest.raises(course.CourseError, match="not in the book's plan"):
        course.check_toc(PLAN, TOC_CHAPTERS + ["chapters/astrology"])


def with_front_matter(tmp_path, edit):
    """A copy of the Ising chapter whose `course:` front matter is changed by edit(dict)."""
    text = (ROOT / "chapters" / "ising.md").read_text()
    _, front, body = text.split("---\n", 2)
    meta = yaml.safe_load(front)
    edit(meta)
    path = tmp_path / "chapters" / "ising.md"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("---\n" + yaml.safe_dump(meta, sort_keys=False) + "---\n" + body)
    return path


@pytest.mark.parametrize("edit, message", [
    (lambda m: m.pop("course"), "needs a `course:` key"),
    (lambda m: m["course"].update(hours=0), "course.hours"),
    (lambda m: m["course"].update(hours="six"), "course.hours"),
    (lambda m: m["course"].update(prerequisites=["alchemy"]), "course.prerequisites"),
    (lambda m: m["course"].update(prerequisites=["ising"]), "course.prerequisites"),
    (lambda m: m["course"]["exercises"].pop("ising-ex-beta"), r"missing \['ising-ex-beta'\]"),
    (lambda m: m["course"]["exercises"].update({"ising-ex-ghost": 1}), r"ising-ex-ghost"),
    (lambda m: m["course"]["exercises"].update({"ising-ex-beta": 4}), "must be 1, 2 or 3"),
])
def test_bad_course_data_names_the_file_and_the_key(tmp_path, edit, message):
    path = with_front_matter(tmp_path, edit)
    with pytest.raises(course.CourseError, match=message) as error:
        course.read_chapter(path, "chapters/ising", PLAN)
    assert str(path) in str(error.value)


def test_track_naming_an_unknown_chapter_is_refused(tmp_path):
    data = yaml.safe_load((ROOT / "course.yml").read_text())
    data["tracks"][0]["weeks"][0] = "astrology"
    (tmp_path / "course.yml").write_text(yaml.safe_dump(data))
    with pytest.raises(course.CourseError, match="astrology"):
        course.load_plan(tmp_path / "course.yml")


def test_a_chapter_over_two_weeks_is_split_by_its_sections_and_assigns_exercises_last():
    track = PLAN.tracks[0]
    weeks = course.track_weeks(track, CHAPTERS)
    ising = [(i, e) for i, week in enumerate(weeks) for e in week if e[0] == "ising"]
    assert [e[1:3] for _, e in ising] == [(0, 2), (1, 2)] and ising[1][0] == ising[0][0] + 1
    reading = [s for s in CHAPTERS["ising"].sections if s.title not in course.NOT_READING]
    assert ising[0][1][3] + ising[1][1][3] == reading  # every section once, in order
    syllabus = course.syllabus_markdown(PLAN, CHAPTERS)
    part1, part2 = re.split(r"### Week \d+: Chapter 3: .*part 2 of 2", syllabus.split("## Track A")[1])[:2]
    assert "ising-ex-beta" not in part1.split("### Week")[-1] and "ising-ex-beta" in part2.split("### Week")[0]


def test_generated_pages_list_every_chapter_finished_or_planned():
    syllabus = course.syllabus_markdown(PLAN, CHAPTERS)
    index = course.exercise_index_markdown(PLAN, CHAPTERS)
    contents = course.contents_markdown(PLAN, CHAPTERS)
    for slug, chapter in CHAPTERS.items():
        for page in (syllabus, index):
            assert f"](../chapters/{slug}.md)" in page
        assert f"](chapters/{slug}.md)" in contents
        for e in chapter.exercises:
            assert f"(#{e.label})" in index
    for slug, title in PLAN.titles.items():
        if slug not in CHAPTERS:
            assert f"{title} *(planned)*" in index
            assert f"{title} *(in preparation)*" in contents
            in_tracks = any(slug in week for t in PLAN.tracks for week in t.weeks)
            assert (f"{title} *(planned)*" in syllabus) == in_tracks or slug in sum(
                (t.further for t in PLAN.tracks), ())
    # exercises are numbered through the book in toc order, as sphinx-exercise numbers them
    total = sum(len(c.exercises) for c in CHAPTERS.values())
    assert f"| {total}. [" in index and f"| {total + 1}. [" not in index


def test_adding_a_chapter_needs_no_edit_to_the_plan_or_the_generated_pages(tmp_path):
    """A finished spin-glass chapter appears, linked, in every generated page, from its file alone."""
    for docname in TOC_CHAPTERS:
        (tmp_path / "chapters").mkdir(exist_ok=True)
        shutil.copy(ROOT / f"{docname}.md", tmp_path / f"{docname}.md")
    (tmp_path / "chapters" / "spin-glasses.md").write_text(
        "---\nkernelspec:\n  name: python3\n  display_name: Python 3\n"
        "course:\n  hours: 5\n  prerequisites: [ising]\n  exercises:\n    sg-ex-rem: 3\n---\n\n"
        "# Spin glasses\n\n## Frustration\n\nText.\n\n"
        "```{code-cell} ipython3\nExplorer([], lambda: {}, [], title=\"Explorer: overlaps\")\n```\n\n"
        "## Exercises\n\n```{exercise} The REM transition\n:label: sg-ex-rem\n\nFind it.\n```\n")
    chapters = read_all(tmp_path, TOC_CHAPTERS + ["chapters/spin-glasses"])
    syllabus = course.syllabus_markdown(PLAN, chapters)
    assert "Spin glasses: frustration, replicas and rugged landscapes *(planned)*" not in syllabus
    for track in PLAN.tracks:
        if ("spin-glasses",) in track.weeks:
            week = track.weeks.index(("spin-glasses",)) + 1
            block = syllabus.split("## Track")[1 + PLAN.tracks.index(track)].split(f"### Week {week}:")[1]
            block = block.split("### Week")[0]
            assert block.startswith(" Chapter 4: Spin glasses\n")
            glance = syllabus.split("## Track")[0]
            assert re.search(rf"\| {week} \|.*Chapter 4: \[Spin glasses\]\(\.\./chapters/spin-glasses\.md\)", glance)
            assert "[overlaps](../chapters/spin-glasses.md#frustration)" in block
            assert "[The REM transition](#sg-ex-rem) (★★★)" in block
            assert "[The Ising model" in block  # its prerequisite
    assert "[The REM transition](#sg-ex-rem) | ★★★" in course.exercise_index_markdown(PLAN, chapters)
    assert "4. [Spin glasses](chapters/spin-glasses.md)" in course.contents_markdown(PLAN, chapters)
