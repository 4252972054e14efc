"""Session pages: runner reads and deletes own, coach reads squad members', nobody else."""

from django.urls import reverse

from sessions.models import RunSession


def test_runner_and_their_coach_read_a_session(world, login):
    url = reverse("session_detail", args=[world.session_alice.pk])
    assert login(world.alice.user).get(url).status_code == 200
    assert login(world.coach_a).get(url).status_code == 200


def test_other_runners_and_coaches_get_404(world, login):
    url = reverse("session_detail", args=[world.session_alice.pk])
    assert login(world.arno.user).get(url).status_code == 404
    assert login(world.coach_b).get(url).status_code == 404


def test_runner_deletes_own_session(world, login):
    login(world.alice.user).post(reverse("session_delete", args=[world.session_alice.pk]))
    assert not RunSession.objects.filter(pk=world.session_alice.pk).exists()


def test_a_coach_cannot_delete_a_runners_session(world, login):
    url = reverse("session_delete", args=[world.session_alice.pk])
    assert login(world.coach_a).post(url).status_code == 404
    assert RunSession.objects.filter(pk=world.session_alice.pk).exists()


def test_delete_needs_post(world, login):
    url = reverse("session_delete", args=[world.session_alice.pk])
    assert login(world.alice.user).get(url).status_code == 405
    assert RunSession.objects.filter(pk=world.session_alice.pk).exists()
