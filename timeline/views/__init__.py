"""Drawing and wording: figures, the card, lists and the words for times. Pure: each returns
a figure or text and renders nothing."""
