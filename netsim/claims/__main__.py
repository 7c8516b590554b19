"""``python -m netsim.claims [FOLDER]``: validate and summarise the claims artifacts of a folder."""
import sys

from netsim.claims.artifact import artifact_dir, read_artifacts

found = read_artifacts(sys.argv[1] if len(sys.argv) > 1 else artifact_dir())
if not found:
    sys.exit("no claims artifacts found")
for name, data in found.items():
    counts: dict[str, int] = {}
    for row in data["rows"]:
        counts[row["verdict"]] = counts.get(row["verdict"], 0) + 1
    print(f"{name} ({data['profile']}): " + ", ".join(f"{v} {k}" for k, v in sorted(counts.items())))
