"""The models the articles' examples use, reduced to what the examples touch."""
from django.db import models


class Author(models.Model):
    name = models.CharField(max_length=100)
    email = models.CharField(max_length=100, default="")

    class Meta:
        app_label = "fixture_app"


class Tag(models.Model):
    name = models.CharField(max_length=50)

    class Meta:
        app_label = "fixture_app"


class Post(models.Model):
    author = models.ForeignKey(Author, on_delete=models.CASCADE, related_name="posts", null=True)
    title = models.CharField(max_length=200)
    published = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    tags = models.ManyToManyField(Tag, related_name="posts")

    class Meta:
        app_label = "fixture_app"
        ordering = ["id"]


# A2 7.1's dashboard: orders and notifications of a user (our Author stands in for their User).
class Order(models.Model):
    user = models.ForeignKey(Author, on_delete=models.CASCADE, related_name="orders")
    total = models.DecimalField(max_digits=10, decimal_places=2)
    status = models.CharField(max_length=20, default="pending")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        app_label = "fixture_app"


class Notification(models.Model):
    user = models.ForeignKey(Author, on_delete=models.CASCADE, related_name="notifications")
    read = models.BooleanField(default=False)

    class Meta:
        app_label = "fixture_app"


# A2 4.4's error-handling sample counts a user's comments.
class Comment(models.Model):
    user = models.ForeignKey(Author, on_delete=models.CASCADE, related_name="comments")

    class Meta:
        app_label = "fixture_app"
