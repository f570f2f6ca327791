"""The command line as a user runs it: exit codes, help, list, new, usage errors."""

from __future__ import annotations

import pytest
from conftest import REPO, minimal_front, run_recueil


@pytest.mark.parametrize("command", ["build", "check", "list", "new"])
def test_every_help_is_a_manual_with_examples(command):
    result = run_recueil(command, "--help")
    assert result.returncode == 0
    assert "examples:" in result.stdout and f"recueil {command}" in result.stdout


def test_main_help_lists_commands_and_exit_status():
    out = run_recueil("--help").stdout
    assert all(c in out for c in ("build", "check", "list", "new", "exit status"))


def test_no_command_is_a_usage_error():
    assert run_recueil().returncode == 2


@pytest.mark.parametrize("args", [
    ["build", "--format", "pdf,epub"],
    ["build", "--select", "couleur=rouge"],
    ["build", "--select", "theme"],
    ["build", "--jobs", "zero"],
    ["check", "--bogus"],
    ["frobnicate"],
    ["new", "dir", "Un", "titre", "sans", "guillemets"],
])
def test_usage_errors_exit_2_without_traceback(args, tmp_path):
    result = run_recueil(*args, cwd=tmp_path)
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr and "error:" in result.stderr


def test_the_sample_edition_passes_strict_check():
    result = run_recueil("check", "--strict", cwd=REPO)
    assert result.returncode == 0, result.stderr
    assert result.stderr.strip().endswith("5 fiches checked: 0 errors, 0 warnings")


def test_check_of_a_missing_folder_exits_1(tmp_path):
    result = run_recueil("check", str(tmp_path / "absent"))
    assert result.returncode == 1 and "no such folder" in result.stderr


def test_list_prints_id_title_themes_territory_tab_separated(project):
    root = project({
        "b": minimal_front("Deux : suite", themes=["Insertion", "Jeunesse"],
                           territory={"place": "Moulins", "department": "Allier"}),
        "a": minimal_front("Un"),
        "c": minimal_front("Brouillon", draft=True),
    })
    result = run_recueil("list", str(root))
    assert result.returncode == 0
    rows = [line.split("\t") for line in result.stdout.splitlines()]
    assert rows == [["a", "Un", "Insertion", "Moulins"],
                    ["b", "Deux\u00a0: suite", "Insertion, Jeunesse", "Moulins (Allier)"]]
    with_drafts = run_recueil("list", str(root), "--drafts").stdout
    assert "c\tBrouillon" in with_drafts


def test_list_of_a_broken_project_exits_1_with_the_errors(project):
    root = project({"a": "---\ntitle: T\n---\n"})
    result = run_recueil("list", str(root))
    assert result.returncode == 1 and "fiches/a.md:2: error:" in result.stderr and result.stdout == ""


def test_new_writes_a_skeleton_that_passes_check(project):
    root = project({"x": minimal_front()})
    result = run_recueil("new", str(root), "L'Épicerie « solidaire » : {{ 7*7 }}")
    assert result.returncode == 0, result.stderr
    path = root / "fiches" / "l-epicerie-solidaire-7-7.md"
    assert result.stdout.strip() == str(path) and path.exists()
    assert run_recueil("check", "--strict", str(root)).returncode == 0
    listed = run_recueil("list", "--drafts", str(root)).stdout
    assert "l-epicerie-solidaire-7-7\tL’Épicerie «\u00a0solidaire\u00a0»\u00a0: {{ 7*7 }}" in listed


def test_new_never_overwrites(project):
    root = project({"sub/velo": minimal_front()})
    first = run_recueil("new", str(root), "Vélo").stdout.strip()
    second = run_recueil("new", str(root), "VELO").stdout.strip()
    assert first.endswith("fiches/velo-2.md") and second.endswith("fiches/velo-3.md")
    assert (root / "fiches" / "sub" / "velo.md").read_text(encoding="utf-8").count("Une initiative") == 1


def test_new_in_the_current_folder(tmp_path):
    result = run_recueil("new", "Première fiche", cwd=tmp_path)
    assert result.returncode == 0
    assert (tmp_path / "fiches" / "premiere-fiche.md").exists()
    # A new project holding only that draft passes check; a build says it has nothing to do.
    check = run_recueil("check", "--strict", cwd=tmp_path)
    assert check.returncode == 1 and "every fiche is a draft" in check.stderr  # a warning, made an error
    assert run_recueil("check", cwd=tmp_path).returncode == 0
    build = run_recueil("build", "--format", "docx", cwd=tmp_path)
    assert build.returncode == 1 and "nothing to build" in build.stderr
    assert run_recueil("build", "--drafts", "--format", "docx", cwd=tmp_path).returncode == 0


def test_new_in_a_missing_folder_exits_1(tmp_path):
    result = run_recueil("new", str(tmp_path / "absent"), "Titre")
    assert result.returncode == 1 and "Traceback" not in result.stderr


def test_build_with_input_errors_exits_1_and_writes_nothing(project):
    root = project({"a": "---\ntitle: T\n---\n"})
    result = run_recueil("build", str(root))
    assert result.returncode == 1, result.stderr
    assert "fiches/a.md:2: error:" in result.stderr and "Traceback" not in result.stderr
    assert not (root / "output").exists()


def test_an_unreadable_setting_file_is_an_input_error(project):
    root = project({"a": minimal_front()})
    (root / "publication.yaml").mkdir()  # a folder where a file is expected
    result = run_recueil("check", str(root))
    assert result.returncode == 1 and "publication.yaml: error: cannot read" in result.stderr


def test_an_internal_error_is_one_line_asking_for_a_bug_report(project, monkeypatch, capsys):
    from generator import cli
    from generator.read import project as project_module

    def broken(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(project_module, "read_project", broken)
    monkeypatch.delenv("RECUEIL_DEBUG", raising=False)
    code = cli.main(["check", str(project({"a": minimal_front()}))])
    err = capsys.readouterr().err
    assert code == 3
    assert len(err.strip().splitlines()) == 1 and "bug" in err and "boom" in err and "Traceback" not in err


def test_check_reports_an_unknown_layout_with_its_line(project):
    root = project({"a": minimal_front()}, publication="title: R\nlayout: inexistante\n")
    result = run_recueil("check", str(root))
    assert result.returncode == 1 and "publication.yaml:2: error:" in result.stderr and "inexistante" in result.stderr


def test_a_broken_reference_docx_is_named_by_check_and_stops_the_build(project):
    root = project({"a": minimal_front()})
    (root / "layouts" / "brochure").mkdir(parents=True)
    (root / "layouts" / "brochure" / "reference.docx").write_bytes(b"not a zip")
    for command in ("check", "build"):
        result = run_recueil(command, str(root))
        assert result.returncode == 1, result.stderr
        assert "layouts/brochure/reference.docx: error: not a Word document" in result.stderr
        assert "Traceback" not in result.stderr
    assert not (root / "output" / "booklet.pdf").exists()


def test_a_busy_output_folder_is_a_clear_error(project, monkeypatch, capsys):
    import fcntl
    import functools

    from generator import cli
    from generator.write import staging as output

    monkeypatch.setattr(output, "Staging", functools.partial(output.Staging, wait=0.2))
    root = project({"a": minimal_front()})
    out = root / "output"
    out.mkdir()
    with open(out / ".recueil.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        code = cli.main(["build", str(root), "--format", "docx"])
    err = capsys.readouterr().err
    assert code == 1 and "another build is writing to" in err and "bug" not in err
    assert not (out / "build.json").exists()


@pytest.mark.parametrize("jobs", ["2", "1"])
def test_a_build_leaves_nothing_in_the_temporary_folder(project, tmp_path, jobs):
    # WeasyPrint keeps a copy of each font it loads in a folder of its own, deleted only
    # when its font configuration is collected: a worker never collects it (it ends by
    # os._exit), and 11 MB stayed in /tmp for each worker of each build.
    root = project({"a": minimal_front(), "b": minimal_front(title="Deuxième fiche")})
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    result = run_recueil("build", str(root), "--format", "pdf,handouts", "--jobs", jobs, env={"TMPDIR": str(tmp)})
    assert result.returncode == 0, result.stderr
    assert (root / "output" / "booklet.pdf").is_file()
    assert sorted(p.name for p in tmp.iterdir()) == []
