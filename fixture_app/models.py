"""The models the articles' examples use, reduced to what the examples touch."""
from django.db import models


class Author(models.Model):
    name = models.CharField(max_length=100)

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
