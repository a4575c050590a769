"""The ``ailit`` command: argument parsing only; each verb's work is its subpackage's ``main()``."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from ailit_core import profiles


def _add_profile(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--profile", choices=profiles.NAMES, default=None,
                        help="fast: reduced data (default); full: the course's real data and epochs")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="ailit", description="AI-literacy assignments: release, verify, grade.")
    parser.add_argument("--version", action="store_true", help="print the version and exit")
    verbs = parser.add_subparsers(dest="verb", metavar="COMMAND")

    grade = verbs.add_parser("grade", help="grade a folder of submissions with the hidden tests")
    grade.add_argument("submissions", type=Path, help="folder of submissions (folders, .zip files or .py files)")
    grade.add_argument("-a", "--assignment", required=True, help="assignment id, e.g. a1_xor_backprop")
    grade.add_argument("-o", "--out", type=Path, required=True, help="output folder for the gradebook")
    grade.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    _add_profile(grade)

    release = verbs.add_parser("release", help="generate student releases from solutions/")
    release.add_argument("assignments", nargs="*", help="assignment ids (default: all)")
    release.add_argument("--format", dest="fmt", default="files", help="release format (default: files)")
    release.add_argument("-o", "--out", type=Path, default=None, help="output folder (default: assignments/)")

    verify = verbs.add_parser("verify", help="check reference = full marks and stub = zero")
    verify.add_argument("assignments", nargs="*", help="assignment ids (default: all landed)")
    _add_profile(verify)

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
        from ailit_core import grade
        from ailit_core.grade.submissions import SubmissionProblem
        try:
            results = grade.main(submissions_dir=args.submissions, assignment_id=args.assignment, out=args.out,
                                 profile=args.profile, quiet=args.quiet)
        except SubmissionProblem as problem:
            print(f"ailit: error: {problem.message}", file=sys.stderr)
            return 2
        print(f"graded {len(results)} submission(s); gradebook: {args.out / 'grades.csv'}; "
              f"summary: {args.out / 'summary.md'}")
        return 0
    if args.verb == "release":
        from ailit_core import release
        written = release.main(assignment_ids=args.assignments, out=args.out, fmt=args.fmt)
        print(f"wrote {len(written)} file(s)")
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


if __name__ == "__main__":
    sys.exit(main())
