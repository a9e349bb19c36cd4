"""The vision-language model: chat formatting, the fine-tune recipe, the offline tiny model."""
