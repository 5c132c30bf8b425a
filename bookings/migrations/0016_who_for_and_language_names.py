"""Names that say what they hold: who_for (was age_statement: who the
consultation is for), spoken_language (was language: the one the visitor
would like to talk in) and page_language (was site_language: the pages
they booked on). The columns are renamed; no value changes."""

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('bookings', '0015_outgoing_messages_move_to_messaging'),
    ]

    operations = [
        migrations.RenameField(
            model_name='consultationrequest',
            old_name='language',
            new_name='spoken_language',
        ),
        migrations.RenameField(
            model_name='consultationrequest',
            old_name='age_statement',
            new_name='who_for',
        ),
        migrations.RenameField(
            model_name='historicalconsultationrequest',
            old_name='language',
            new_name='spoken_language',
        ),
        migrations.RenameField(
            model_name='historicalconsultationrequest',
            old_name='age_statement',
            new_name='who_for',
        ),
        migrations.RenameField(
            model_name='consultationrequest',
            old_name='site_language',
            new_name='page_language',
        ),
        migrations.RenameField(
            model_name='historicalconsultationrequest',
            old_name='site_language',
            new_name='page_language',
        ),
        migrations.AlterField(
            model_name='consultationrequest',
            name='page_language',
            field=models.CharField(choices=[('en', 'English'), ('hi', 'हिन्दी')], default='en', max_length=5, verbose_name='language of the pages (notice shown, messages sent)'),
        ),
        migrations.AlterField(
            model_name='historicalconsultationrequest',
            name='page_language',
            field=models.CharField(choices=[('en', 'English'), ('hi', 'हिन्दी')], default='en', max_length=5, verbose_name='language of the pages (notice shown, messages sent)'),
        ),
    ]
