from conference.content import services


def test_content_load_is_idempotent(runner):
    first = runner.invoke(args=["content", "load"])
    second = runner.invoke(args=["content", "load"])

    assert first.exit_code == 0, first.output
    assert "added track arts" in first.output
    assert second.exit_code == 0
    assert "already up to date" in second.output


def test_content_sample_needs_the_conference_first(runner):
    result = runner.invoke(args=["content", "sample"])

    assert result.exit_code != 0
    assert "flask content load" in result.output


def test_content_sample_loads_and_removes(runner):
    runner.invoke(args=["content", "load"])

    loaded = runner.invoke(args=["content", "sample"])
    removed = runner.invoke(args=["content", "sample", "--remove"])

    assert "Sample programme: loaded." in loaded.output
    assert "removed session sample-opening" in removed.output


def test_content_load_reports_a_bad_file_without_a_traceback(runner, tmp_path):
    path = tmp_path / "content.toml"
    path.write_text(
        services.CONTENT_FILE.read_text(encoding="utf-8").replace('ar = "من أجل سوريا"', 'ar = ""'),
        encoding="utf-8",
    )

    result = runner.invoke(args=["content", "load", str(path)])

    assert result.exit_code == 1
    assert "conference.name: missing the ar text" in result.output
    assert "Traceback" not in result.output
