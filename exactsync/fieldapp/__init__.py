"""The field app's door: changes out with a cursor (`exactsync export`), each work order's state in
Exact, and the JSON Schemas of what goes in and out (README, "Connecting a field app")."""
