"""The embedded demo: 60 synthetic small ads (``ads.csv``, generated for explicate, not real data)
labeled by the rules in ``ads.lf``."""

from __future__ import annotations

from importlib import resources

from rich.console import Console


def run_demo(console: Console) -> None:
    """Compile the demo rules, apply them, and print the LF summary and majority-vote labels."""
    from explicate.cli import print_summary, summarize
    from explicate.grammar import to_dsl
    from explicate.runtime.apply import apply_program, compile_for, load_rules
    from explicate.runtime.data import read_table

    folder = resources.files("explicate.demo")
    rules_path, data_path = folder.joinpath("ads.lf"), folder.joinpath("ads.csv")
    with resources.as_file(rules_path) as rp, resources.as_file(data_path) as dp:
        console.print(f"[bold]explicate demo[/bold]: rules {rp.name}, data {dp.name} "
                      "(60 synthetic ads written for this demo)")
        rules = load_rules(rp)
        df = read_table(dp)
        program, schema = compile_for(rules, df)
        assert schema is not None
        console.print(f"\n[bold]compiled {len(program.lfs)} LFs[/bold] (canonical DSL):")
        for lf in program.lfs:
            console.print("  " + to_dsl(lf), markup=False, highlight=False)
        applied = apply_program(program, df, schema, progress=False)
        if applied.problems:
            console.print(f"\n{len(applied.problems)} data problem(s), reported, rows kept:")
            for p in applied.problems:
                console.print(f"  {p}", markup=False)
        console.print()
        result = summarize(applied, df, "label", None)
        print_summary(result)
        mv_preview = df.head(8)[["title"]].copy()
        from explicate.runtime.matrix import majority_vote

        pred = majority_vote(applied.L, program.cardinality)
        mv_preview["majority vote"] = [program.labels[p] if p >= 0 else "(abstain)"
                                       for p in pred[:8]]
        mv_preview["gold"] = df.head(8)["label"]
        console.print("\nfirst rows:")
        console.print(mv_preview.to_string(index=False), markup=False, highlight=False)
