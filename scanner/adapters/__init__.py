"""checkov and trivy as engines under govscan's verdict, and trivy's image reports (see docs/engines.md).

session.Session is what the engine uses: it finds the tools, stages the inputs, runs the tools while
the engine reads its inputs, and turns their results into Outcomes the engine settles like a rule's
(tier, enforcement, waivers, fingerprints), after dropping those a built-in rule already judged.
"""
