"""The identity service: accounts, credentials and access tokens of every portal's users.

So far it holds broker credentials created by an operator command and issues access tokens;
activation, members, correspondents and the rest come with the identity issue."""
