"""factory_boy factories: players come with their PeriodicTask unless schedule=False."""

import factory
from factory.django import DjangoModelFactory

from players import schedules
from players.models import Player
from players.names import normalise_username


class PlayerFactory(DjangoModelFactory):
    class Meta:
        model = Player
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"player {n}")
    username_key = factory.LazyAttribute(lambda o: normalise_username(o.username))

    @factory.post_generation
    def schedule(obj, create, extracted, **kwargs):
        if create and extracted is not False:
            schedules.player_schedule_sync(player=obj)
