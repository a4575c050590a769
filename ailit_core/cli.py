"""The ``ailit`` command: argument parsing only; each verb's work is its subpackage's ``main()``."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from ailit_core import profiles

# Kept in step with ailit_core.release.FORMATS (tests/ailit_core/release/test_formats.py checks it);
# listed here so that `ailit --help` does not import the release package.
RELEASE_FORMATS = ("files", "gradescope", "nbgrader", "otter", "student")


def _add_profile(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--profile", choices=profiles.NAMES, default=None,
                        help="fast: reduced data (default); full: the course's real data and epochs")


def _positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text} is not a positive whole number")
    return value


def _positive_float(text: str) -> float:
    value = float(text)
    if not value > 0:
        raise argparse.ArgumentTypeError(f"{text} is not a positive number")
    return value


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="ailit", description="AI-literacy assignments: release, verify, grade.")
    parser.add_argument("--version", action="store_true", help="print the version and exit")
    verbs = parser.add_subparsers(dest="verb", metavar="COMMAND")

    grade = verbs.add_parser(
        "grade", help="grade a folder of submissions with the hidden tests",
        description="Grade every entry (folder, archive, .py or .ipynb) in SUBMISSIONS: each gets one row in "
                    "OUT/grades.csv. Results are written as each submission finishes; running again grades only "
                    "what is new or changed.",
        epilog="exit status: 0 batch complete; 1 some submissions hit a grader problem (grade again); "
               "2 usage error or broken hidden tests; 130 interrupted (finished results are kept)")
    grade.add_argument("submissions", type=Path,
                       help="folder of submissions (folders, .zip/.tar.gz/.7z/.rar, .py or .ipynb files)")
    grade.add_argument("-a", "--assignment", required=True, help="assignment id, e.g. a1_xor_backprop")
    grade.add_argument("-o", "--out", type=Path, required=True, help="output folder for the gradebook")
    grade.add_argument("-j", "--jobs", type=_positive_int, default=1, metavar="N",
                       help="grade N submissions at once (default 1)")
    grade.add_argument("--force", action="store_true", help="grade everything again, even unchanged submissions")
    grade.add_argument("--timeout", type=_positive_float, default=None, metavar="S",
                       help="seconds for one submission's whole hidden suite (default: the assignment's)")
    grade.add_argument("--test-timeout", type=_positive_float, default=None, metavar="S",
                       help="seconds for one test (default: half the submission's time)")
    grade.add_argument("--memory", type=_positive_int, default=None, metavar="MB",
                       help="memory one submission may use (default 4096; full profile 16384)")
    grade.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    grade.add_argument("--dask", default=None, metavar="ADDRESS",
                       help="grade on a Dask cluster: local[:N] (N local workers) or a scheduler address such as "
                            "tcp://HOST:8786 (needs pip install 'ailit[dask]'; -j is then the cluster's; GRADING.md)")
    _add_profile(grade)

    export = verbs.add_parser(
        "export", help="write a graded batch as an LMS gradebook (Canvas, wide per-test, nbgrader)",
        description="Read OUT (from ailit grade) and write OUT/exports/FORMAT.csv: canvas (Canvas gradebook "
                    "import), wide (one column per test), nbgrader (the columns of nbgrader export). Scores "
                    "include the TA's overrides from OUT/overrides.csv.")
    export.add_argument("out", type=Path, help="the output folder of ailit grade")
    export.add_argument("--format", dest="fmt", required=True, choices=("canvas", "wide", "nbgrader"))
    export.add_argument("-o", "--output", type=Path, default=None, help="file to write (default OUT/exports/FORMAT.csv)")
    export.add_argument("--column", default=None,
                        help="canvas: the assignment column's header, as Canvas names it, e.g. 'A1 XOR (123456)'")
    export.add_argument("--roster", type=Path, default=None,
                        help="CSV with an entry column (the names in SUBMISSIONS) and Canvas's ID / SIS User ID / SIS Login "
                             "ID / Section (or first_name, last_name, email) to fill in")

    release = verbs.add_parser("release", help="generate student releases from solutions/")
    release.add_argument("assignments", nargs="*", help="assignment ids (default: all)")
    release.add_argument("--format", dest="fmt", default="files", choices=RELEASE_FORMATS,
                         help="files: assignments/<id>/ (default); gradescope: autograder.zip; "
                              "nbgrader: a course folder; otter: an otter-assign master notebook; "
                              "student: OUT/<id>.zip that students install and run on their own")
    release.add_argument("-o", "--out", type=Path, default=None,
                         help="output folder (default: assignments/ for files, dist/<format>/ otherwise)")
    release.add_argument("--course-id", default=None,
                         help="nbgrader: the course id written to a new nbgrader_config.py (default: the folder's name)")

    verify = verbs.add_parser("verify", help="check reference = full marks and stub = zero")
    verify.add_argument("assignments", nargs="*", help="assignment ids (default: all landed)")
    _add_profile(verify)

    mutate = verbs.add_parser(
        "mutate", help="measure how well the hidden tests catch mistakes (mutation testing)",
        description="Grade realistic mistakes (the assignment's catalogue) and mutants generated from the "
                    "reference's solution regions with the hidden tests; write mutation.json/.md/.html. "
                    "Finished results are kept: running again grades only what is new.",
        epilog="exit status: 0 report written; 1 mutation score below --min-score; 2 usage error or the "
               "reference could not be graded")
    mutate.add_argument("assignment", nargs="?", help="assignment id, e.g. a1_xor_backprop")
    mutate.add_argument("-o", "--out", type=Path, default=None, help="output folder (default: dist/mutation/<id>)")
    mutate.add_argument("--budget", type=_positive_float, default=None, metavar="S",
                        help="stop grading after S seconds; the rest is graded by the next run")
    mutate.add_argument("-j", "--jobs", type=_positive_int, default=1, metavar="N", help="grade N mutants at once")
    mutate.add_argument("--min-score", type=float, default=None, metavar="X",
                        help="exit 1 when the mutation score (percent) is below X: a CI gate")
    mutate.add_argument("--catalogue", type=Path, default=None, metavar="FILE",
                        help="a catalogue file of your own (default: the assignment's built-in one)")
    mutate.add_argument("--no-catalogue", action="store_true", help="only generated mutants")
    mutate.add_argument("--no-generated", action="store_true", help="only the catalogue's mutants")
    mutate.add_argument("--operators", default=None, metavar="OP,...",
                        help="generate with these operators only (default: all; ailit mutate --list-operators)")
    mutate.add_argument("--max-generated", type=_positive_int, default=None, metavar="N",
                        help="at most N generated mutants (spread over the functions)")
    mutate.add_argument("--list-operators", action="store_true", help="list the mutation operators and exit")
    mutate.add_argument("-q", "--quiet", action="store_true", help="no progress lines")

    verbs.add_parser("list", help="list the assignments")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        if getattr(args, "profile", None):
            os.environ[profiles.ENV_VAR] = args.profile
        return _dispatch(args)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except (LookupError, ValueError, OSError) as exc:  # user errors: one clear line, no traceback
        print(f"ailit: error: {exc}", file=sys.stderr)
        return 2


def _dispatch(args) -> int:
    if args.version:
        from ailit_core import __version__
        print(__version__)
        return 0
    if args.verb == "grade":
        return _grade(args)
    if args.verb == "mutate":
        return _mutate(args)
    if args.verb == "export":
        from ailit_core.grade import export
        print(f"wrote {export.main(out=args.out, fmt=args.fmt, dest=args.output, column=args.column, roster=args.roster)}")
        return 0
    if args.verb == "release":
        from ailit_core import release
        written = release.main(assignment_ids=args.assignments, out=args.out, fmt=args.fmt, course_id=args.course_id)
        if args.fmt in ("gradescope", "student"):
            for path in written:
                print(f"wrote {path}")
        else:
            out = args.out or release.default_out(args.fmt)
            print(f"wrote {len(written)} file(s)" + (f" under {out}" if out else ""))
        return 0
    if args.verb == "verify":
        from ailit_core import verify
        verdicts = verify.main(assignment_ids=args.assignments, profile=args.profile)
        for v in verdicts:
            mark = "ok" if v.ok else "FAILED"
            print(f"{v.assignment_id}: {mark} (reference {v.reference_score:g}, stub {v.stub_score:g})")
            for p in v.problems:
                print(f"  - {p}")
        return 0 if all(v.ok for v in verdicts) else 1
    if args.verb == "list":
        from ailit_core import assignments
        for a in assignments.ALL:
            state = "landed" if a.is_landed() else "planned"
            print(f"{a.id:18} {a.filename:16} {state:8} {a.title_en} / {a.title_zh}")
        return 0
    build_parser().print_help()
    return 2


def _grade(args) -> int:
    import signal
    from collections import Counter

    from ailit_core import grade
    from ailit_core.grade.engine import EngineError
    from ailit_core.grade.sandbox import SandboxError

    def stop(signum, frame):
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, stop)  # a stopped batch keeps what it finished
    try:
        options = grade.GradeOptions(submissions_dir=args.submissions, assignment_id=args.assignment, out=args.out,
                                     profile=args.profile, quiet=args.quiet, jobs=args.jobs, force=args.force,
                                     timeout_s=args.timeout, test_timeout_s=args.test_timeout, memory_mb=args.memory,
                                     dask=args.dask)
        results = grade.main(options)
    except grade.SubmissionProblem as problem:
        print(f"ailit: error: {problem.message}", file=sys.stderr)
        return 2
    except (grade.HiddenTestsBroken, EngineError, SandboxError) as exc:
        log = args.out / "grader-log.txt"
        kept = f"\n  the grader's full log: {log} / 完整日志见 {log}" if log.is_file() else ""
        print(f"ailit: error: {exc}{kept}", file=sys.stderr)
        return 2
    statuses = Counter(r.status for r in results)
    shown = ", ".join(f"{k} {v}" for k, v in sorted(statuses.items()))
    print(f"{len(results)} submission(s): {shown}; gradebook: {args.out / 'grades.csv'}; "
          f"summary: {args.out / 'summary.md'}")
    return 1 if statuses.get("grader_error") else 0


def _mutate(args) -> int:
    if args.list_operators:
        from ailit_core.mutate.operators import OPERATORS
        for name, text in OPERATORS.items():
            print(f"{name:14} {text}")
        return 0
    if not args.assignment:
        print("ailit mutate: error: name the assignment, e.g. ailit mutate a1_xor_backprop", file=sys.stderr)
        return 2
    from ailit_core import mutate

    try:
        outcome = mutate.main(assignment_id=args.assignment, out=args.out, budget_s=args.budget, jobs=args.jobs,
                              min_score=args.min_score, catalogue_file=args.catalogue,
                              use_catalogue=not args.no_catalogue, use_generated=not args.no_generated,
                              operators=args.operators.split(",") if args.operators else None,
                              max_generated=args.max_generated, quiet=args.quiet)
    except RuntimeError as exc:  # the engine could not start, or the reference could not be graded
        print(f"ailit: error: {exc}", file=sys.stderr)
        return 2
    score = "no graded mutant" if outcome.score is None else f"mutation score {outcome.score:.1f}%"
    left = f"; {outcome.not_graded} not graded (run again to continue)" if outcome.not_graded else ""
    print(f"{score}{left}; report: {outcome.written[1]}")
    if outcome.gate_failed:
        print(f"ailit: mutation score below --min-score {args.min_score:g}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
