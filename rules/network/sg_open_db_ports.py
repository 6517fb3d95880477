"""Security groups do not open database, cache or remote-admin ports to the whole internet (0.0.0.0/0, ::/0).

PostgreSQL (5432), MySQL (3306), SQL Server (1433), Oracle (1521), Redis (6379), MongoDB (27017),
Elasticsearch / OpenSearch (9200), SSH (22) and RDP (3389) are scanned from the whole internet within
minutes of being opened: Redis without a password and Elasticsearch without auth are the classic
data leaks, and an Odoo database port open to the world invites brute force. Open them to the
application's security group, a VPN range or a bastion instead. An ingress rule counts when its
CIDR has prefix length 0 and its port range (from_port..to_port) covers one of `ports`; protocol
`-1` (all) covers every port. Judged: `ingress` blocks of `aws_security_group`, `aws_security_group_rule`
of type ingress, and `aws_vpc_security_group_ingress_rule`. A security group whose plan leaves `ingress` wholly unknown
has its rules in separate resources (the provider computes the block), which are judged instead;
an ingress rule whose CIDRs or ports are known only after apply is not evaluated.

Passes::

    ingress {
      from_port       = 5432
      to_port         = 5432
      protocol        = "tcp"
      security_groups = [aws_security_group.odoo.id]
    }

Fails (production)::

    ingress {
      from_port   = 6379
      to_port     = 6379
      protocol    = "tcp"
      cidr_blocks = ["0.0.0.0/0"]
    }
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from govscan.rules._lib.cloud import CLOUD, action, get
from govscan.rules._lib.cloud_network import Path, at, is_open_cidr, items, port_range, unset_computed_block
from govscan.scanner.context import Context
from govscan.scanner.model import Action, Resource, RuleMeta, Severity, Violation, enforcement_table

PORT_NAMES = {
    22: "SSH", 1433: "SQL Server", 1521: "Oracle", 3306: "MySQL", 3389: "RDP", 5432: "PostgreSQL", 6379: "Redis",
    9200: "Elasticsearch", 27017: "MongoDB", 5984: "CouchDB", 9042: "Cassandra", 11211: "Memcached",
}  # fmt: skip


@dataclass(frozen=True)
class Options:
    ports: tuple[int, ...] = (5432, 3306, 1433, 1521, 6379, 27017, 9200, 22, 3389)


RULE = RuleMeta(
    id="network.sg-open-db-ports",
    domain="network",
    title="Security group opens a database, cache or admin port to the internet",
    severity=Severity.HIGH,
    enforcement=enforcement_table(production="block", staging="warn", qa="warn", development="warn", sandbox="info"),
    remediation='Replace cidr_blocks = ["0.0.0.0/0"] / ipv6_cidr_blocks = ["::/0"] (cidr_ipv4 / cidr_ipv6 on '
    "aws_vpc_security_group_ingress_rule) with the application's security group (security_groups / "
    "source_security_group_id / referenced_security_group_id) or a VPN / bastion CIDR, and narrow "
    "from_port..to_port to the port the service needs.",
    kinds=("aws_security_group", "aws_security_group_rule", "aws_vpc_security_group_ingress_rule"),
    platforms=CLOUD,
    controls=("security: network isolation of data stores", "CIS AWS 5.2"),
    options=Options(),
)


def check(resource: Resource, ctx: Context, options: Options) -> Iterator[Violation]:
    if action(resource) is Action.DELETE:
        return
    if resource.kind == "aws_security_group":
        if unset_computed_block(resource, "ingress"):
            return  # rules live in aws_security_group_rule / aws_vpc_security_group_ingress_rule resources
        for rule in items(resource, "ingress"):
            yield from _judge(resource, rule, options, f"ingress rule {rule[-1]}" if len(rule) > 1 else "ingress")
    elif resource.kind == "aws_security_group_rule":
        if str(get(resource, "type") or "").lower() == "ingress":
            yield from _judge(resource, (), options, "rule")
    else:
        yield from _judge(resource, (), options, "rule")


def _judge(resource: Resource, rule: Path, options: Options, what: str) -> Iterator[Violation]:
    open_to: list[tuple[str, int | None, object]] = [
        (key, i, v) for key in ("cidr_blocks", "ipv6_cidr_blocks") for i, v in _values(resource, rule, key)
    ]
    open_to += [(key, None, v) for key in ("cidr_ipv4", "cidr_ipv6") if (v := get(resource, *rule, key))]
    open_to = [(k, i, v) for k, i, v in open_to if is_open_cidr(v)]
    if not open_to:
        return
    protocol = get(resource, *rule, "ip_protocol") if resource.kind.startswith("aws_vpc_") else None
    protocol = protocol if protocol is not None else get(resource, *rule, "protocol")
    ports = port_range(get(resource, *rule, "from_port"), get(resource, *rule, "to_port"), protocol)
    if ports is None:
        return
    hit = [p for p in options.ports if ports[0] <= p <= ports[1]]
    if not hit:
        return
    key, index, cidr = open_to[0]
    names = ", ".join(f"{p} ({PORT_NAMES[p]})" if p in PORT_NAMES else str(p) for p in hit)
    span = (
        "every port"
        if ports == (0, 65535)
        else f"ports {ports[0]}-{ports[1]}"
        if ports[0] != ports[1]
        else f"port {ports[0]}"
    )
    pointer = at((*rule, key, index)) if index is not None else at((*rule, key))
    yield Violation(f"{what} opens {span} to {cidr}, including {names}", pointer)


def _values(resource: Resource, rule: Path, key: str) -> Iterator[tuple[int, object]]:
    values = get(resource, *rule, key)
    if isinstance(values, list):
        yield from enumerate(values)
