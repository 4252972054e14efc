"""SPEC §8 selectors: what each role may reach."""

from stridesite import permissions as perms
from tests.factories import make_user


def test_a_runner_sees_only_themselves(world):
    assert list(perms.visible_runners(world.alice.user)) == [world.alice]


def test_a_coach_sees_own_squads_runners_and_no_others(world):
    assert set(perms.visible_runners(world.coach_a)) == {world.alice, world.arno}
    assert set(perms.coached_runners(world.coach_a)) == {world.alice, world.arno}


def test_a_coach_who_also_runs_sees_self_and_squad(world):
    from athletes.models import RunnerProfile

    me = RunnerProfile.objects.create(user=world.coach_a, display_name="Coach A runs")
    assert set(perms.visible_runners(world.coach_a)) == {world.alice, world.arno, me}


def test_sessions_follow_runner_visibility(world):
    assert list(perms.visible_sessions(world.alice.user)) == [world.session_alice]
    assert list(perms.visible_sessions(world.coach_a)) == [world.session_alice]
    assert list(perms.visible_sessions(world.coach_b)) == [world.session_bea]


def test_only_the_runner_may_delete_a_session(world):
    assert list(perms.deletable_sessions(world.alice.user)) == [world.session_alice]
    assert not perms.deletable_sessions(world.coach_a).exists()


def test_staff_see_everything(world):
    staff = make_user(is_staff=True)
    assert perms.visible_runners(staff).count() == 4
    assert perms.coached_squads(staff).count() == 2
    assert perms.visible_sessions(staff).count() == 2


def test_anonymous_sees_nothing(world):
    from django.contrib.auth.models import AnonymousUser

    anonymous = AnonymousUser()
    assert not perms.visible_runners(anonymous).exists()
    assert not perms.visible_sessions(anonymous).exists()
    assert not perms.coached_squads(anonymous).exists()
    assert not perms.is_coach(anonymous)


def test_a_runner_is_not_a_coach(world):
    assert not perms.is_coach(world.alice.user)
    assert perms.is_coach(world.coach_a)
