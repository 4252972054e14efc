from stridesite.permissions import is_coach


def roles(request) -> dict:
    user = request.user
    return {
        "user_is_coach": is_coach(user),
        "user_is_runner": user.is_authenticated and hasattr(user, "runner"),
    }
