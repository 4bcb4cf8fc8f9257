"""Groups compare names by a stored key (NFKC, case folded, spaces collapsed): "Ｉron Clan"
(fullwidth) is "Iron Clan" taken. Existing rows are backfilled; two existing groups whose names
share a key (stored before the rule) keep their names: the later one's key gets "\\n#<pk>" (no
cleaned name holds a newline, so it never equals a real key), and it can be renamed freely. A key is cut at 200 characters (the column)."""

import unicodedata

from django.db import migrations, models


def _key(text):  # players.names.name_key as of this migration
    folded = unicodedata.normalize("NFKC", text).casefold()
    visible = "".join(ch for ch in folded if unicodedata.category(ch) != "Cf")
    return " ".join(visible.split())


def backfill(apps, schema_editor):
    Group = apps.get_model("players", "Group")
    seen = set()
    rows = []
    for group in Group.objects.order_by("pk").only("pk", "name"):
        key = _key(group.name)[:200]
        if key in seen:
            key = f"{key[:180]}\n#{group.pk}"
        seen.add(key)
        group.name_key = key
        rows.append(group)
    Group.objects.bulk_update(rows, ["name_key"], batch_size=1000)


class Migration(migrations.Migration):
    dependencies = [
        ("players", "0009_groups"),
    ]

    operations = [
        migrations.AddField(
            model_name="group",
            name="name_key",
            field=models.CharField(default="", editable=False, max_length=200),
        ),
        migrations.AlterField(
            model_name="group",
            name="name",
            field=models.CharField(
                help_text="Unique, compared by `name_key` (any case, width, spacing).",
                max_length=100,
            ),
        ),
        migrations.RunPython(backfill, migrations.RunPython.noop, elidable=False),
        migrations.AddConstraint(
            model_name="group",
            constraint=models.UniqueConstraint(fields=("name_key",), name="group_name_key_unique"),
        ),
    ]
